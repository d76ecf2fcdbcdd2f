"""Safe inspection and decoding of untrusted PNG/JPEG bytes, with the Custom Labels image limits."""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image

MIN_SIDE = 64
MAX_SIDE = 4096
MAX_ASPECT = 20.0
TRAINING_MAX_BYTES = 15 * 1024 * 1024
DETECT_MAX_BYTES = 4 * 1024 * 1024
# Why: bounds the decode even when check_dimensions=False (8192x8192, ~200 MB as RGB),
# independently of whatever Image.MAX_IMAGE_PIXELS the process runs with.
MAX_DECODE_PIXELS = 4 * MAX_SIDE * MAX_SIDE

_SUPPORTED_FORMATS = ("PNG", "JPEG")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
)
_ORIENTATION_TAG = 0x0112
_TRANSPOSE_FOR_ORIENTATION: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIDE_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
_WARNINGS_LOCK = threading.Lock()


class ImageProblem(Exception):
    """An image the service refuses; .code is the manifest error code."""

    code: str = "ERROR_INVALID_IMAGE"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedImageFormat(ImageProblem):
    pass


class ImageTooLarge(ImageProblem):
    pass


class ImageDimensionsInvalid(ImageProblem):
    pass


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


def inspect_image(
    data: bytes, *, max_bytes: int = TRAINING_MAX_BYTES, check_dimensions: bool = True
) -> ImageInfo:
    """Validates format by content, byte size, dimensions, aspect ratio, and that it all decodes."""
    _, info, _ = _open_fully(data, max_bytes=max_bytes, check_dimensions=check_dimensions)
    return info


def declared_pixels(data: bytes) -> int:
    """Width times height as the image's header states them, without decoding; 0 when it cannot be read."""
    try:
        _check_signature(data)
        width, height = _open_header(data).size
    except ImageProblem:
        return 0
    return width * height


def decode_image(data: bytes, *, max_bytes: int = TRAINING_MAX_BYTES) -> Image.Image:
    """Same checks; returns an RGB image with EXIF orientation applied."""
    image, _, orientation = _open_fully(data, max_bytes=max_bytes, check_dimensions=True)
    try:
        return _to_rgb(_apply_orientation(image, orientation))
    except Exception as error:  # why: Pillow raises many exception types on hostile input
        raise UnsupportedImageFormat(_undecodable_message()) from error


def _open_fully(
    data: bytes, *, max_bytes: int, check_dimensions: bool
) -> tuple[Image.Image, ImageInfo, int]:
    """The decoded image, its info and EXIF orientation; every limit is checked before decoding."""
    _check_byte_size(data, max_bytes)
    _check_signature(data)
    image = _open_header(data)
    # Side limits and aspect ratio are symmetric, so the stored size can be checked before the
    # EXIF orientation is known (reading a PNG's EXIF decodes its pixels).
    stored_width, stored_height = image.size
    _check_pixel_count(stored_width, stored_height)
    if check_dimensions:
        _check_dimensions(stored_width, stored_height)
    _decode_pixels(image)
    orientation = _orientation(image)
    swapped = orientation in _SIDE_SWAPPING_ORIENTATIONS
    width, height = (stored_height, stored_width) if swapped else (stored_width, stored_height)
    # Why: Pillow reports multi-picture JPEGs (common from phone cameras) as MPO.
    image_format = "PNG" if image.format == "PNG" else "JPEG"
    return image, ImageInfo(format=image_format, width=width, height=height), orientation


@contextmanager
def _pillow_warnings_contained() -> Iterator[None]:
    # Why: catch_warnings swaps process-wide filters, so concurrent callers could restore each
    # other's; the lock prevents that. Only header and EXIF parsing run under it, never decoding.
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # A bomb warning must become a refusal here, and Pillow's chatter about odd metadata
        # must not escape as a warning (or as an error under -W error).
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _check_byte_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise ImageTooLarge(
            f"Image is {len(data)} bytes; the maximum is {max_bytes} bytes "
            f"({max_bytes / (1024 * 1024):g} MB)."
        )


def _check_signature(data: bytes) -> None:
    if not data:
        raise UnsupportedImageFormat("The image is empty; expected a PNG or JPEG file.")
    if data.startswith((_PNG_SIGNATURE, _JPEG_SIGNATURE)):
        return
    raise UnsupportedImageFormat(
        f"The image is {_describe_content(data)}; expected a PNG or JPEG file."
    )


def _describe_content(data: bytes) -> str:
    for signature, name in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return f"a {name} file"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP file"
    if data[4:8] == b"ftyp":
        return "an HEIF/HEIC or other ISO media file"
    return "not a recognized image format"


def _open_header(data: bytes) -> Image.Image:
    with _pillow_warnings_contained():
        try:
            return Image.open(io.BytesIO(data), formats=_SUPPORTED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageTooLarge(
                "The image declares too many pixels to decode safely; "
                f"each side must be {MIN_SIDE}-{MAX_SIDE} pixels."
            ) from error
        except Exception as error:  # why: Pillow raises many exception types on hostile input
            raise UnsupportedImageFormat(_undecodable_message()) from error


def _orientation(image: Image.Image) -> int:
    with _pillow_warnings_contained():
        try:
            value = image.getexif().get(_ORIENTATION_TAG, 1)
        except Exception:  # why: unreadable EXIF must not reject pixels that decode fine
            return 1
    return value if isinstance(value, int) and value in _TRANSPOSE_FOR_ORIENTATION else 1


def _check_pixel_count(width: int, height: int) -> None:
    if width * height > MAX_DECODE_PIXELS:
        raise ImageTooLarge(
            f"Image is {width}x{height} pixels, too many to decode safely; "
            f"each side must be {MIN_SIDE}-{MAX_SIDE} pixels."
        )


def _check_dimensions(width: int, height: int) -> None:
    if not dimensions_allowed(width, height):
        raise ImageDimensionsInvalid(
            f"Image is {width}x{height} pixels; each side must be "
            f"{MIN_SIDE}-{MAX_SIDE} pixels and the aspect ratio at most {MAX_ASPECT:g}:1."
        )


def dimensions_allowed(width: int, height: int) -> bool:
    """Both sides within MIN_SIDE..MAX_SIDE and long/short side at most MAX_ASPECT."""
    sides_in_range = all(MIN_SIDE <= side <= MAX_SIDE for side in (width, height))
    return sides_in_range and max(width, height) / min(width, height) <= MAX_ASPECT


def _decode_pixels(image: Image.Image) -> None:
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLarge("The image declares too many pixels to decode safely.") from error
    except Exception as error:  # why: Pillow raises many exception types on hostile input
        raise UnsupportedImageFormat(_undecodable_message()) from error


def _undecodable_message() -> str:
    return (
        "The image could not be decoded; it may be truncated or corrupt. "
        "Expected a complete PNG or JPEG file."
    )


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    transpose = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    return image if transpose is None else image.transpose(transpose)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I;16") or image.mode == "I":
        # Why: a plain convert clips 16-bit samples to white instead of scaling them.
        image = image.point(lambda sample: sample / 256).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        # Why: fully transparent pixels often hold black; white matches how viewers show them.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    # Why not convert an RGB image: convert copies it, which cost a decoded photo's size in fresh memory.
    return image if image.mode == "RGB" else image.convert("RGB")
