import io
import struct
import time
import warnings
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageFile

from customlabels.images import (
    DETECT_MAX_BYTES,
    TRAINING_MAX_BYTES,
    ImageDimensionsInvalid,
    ImageInfo,
    ImageProblem,
    ImageTooLarge,
    UnsupportedImageFormat,
    decode_image,
    inspect_image,
)

EXIF_ORIENTATION = 0x0112


def encode(image: Image.Image, image_format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **params)
    return buffer.getvalue()


def png(width: int, height: int) -> bytes:
    return encode(Image.new("RGB", (width, height), (200, 30, 30)), "PNG")


def jpeg(width: int, height: int) -> bytes:
    return encode(Image.new("RGB", (width, height), (30, 30, 200)), "JPEG")


def noisy_jpeg(width: int, height: int) -> bytes:
    noise = Image.frombytes(
        "RGB", (width, height), bytes(range(256)) * (width * height * 3 // 256 + 1)
    )
    return encode(noise, "JPEG", quality=95)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int, *, with_idat_start: bool) -> bytes:
    """A PNG whose IHDR declares width x height, cut before (or just inside) the pixel data."""
    header = b"\x89PNG\r\n\x1a\n" + png_chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    )
    if with_idat_start:
        header += struct.pack(">I", 10_000_000) + b"IDAT" + b"\x78\x9c"
    return header


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF0 header is patched to declare width x height."""
    data = bytearray(jpeg(64, 64))
    start_of_frame = data.index(b"\xff\xc0")
    data[start_of_frame + 5 : start_of_frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def decoding_forbidden(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails the test if pixels are decoded, even where the code under test swallows errors."""
    decoded: list[str] = []

    def refuse(self: ImageFile.ImageFile) -> None:
        decoded.append(f"{self.format} {self.size}")
        raise OSError("decoding is forbidden in this test")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    yield
    assert decoded == []


# ------------------------------------------------------------------ accepted images


def test_png_and_jpeg_at_the_minimum_size_are_accepted() -> None:
    assert inspect_image(png(64, 64)) == ImageInfo(format="PNG", width=64, height=64)
    assert inspect_image(jpeg(64, 64)) == ImageInfo(format="JPEG", width=64, height=64)


def test_aspect_ratio_of_exactly_20_and_long_side_4096_are_accepted() -> None:
    assert inspect_image(png(100, 2000)) == ImageInfo("PNG", 100, 2000)
    assert inspect_image(png(4096, 205)) == ImageInfo("PNG", 4096, 205)


def test_multi_picture_jpeg_from_cameras_reports_jpeg() -> None:
    frames = [Image.new("RGB", (80, 80)), Image.new("RGB", (80, 80), (255, 0, 0))]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert inspect_image(data) == ImageInfo("JPEG", 80, 80)


# ------------------------------------------------------------------ dimensions


@pytest.mark.parametrize(
    ("width", "height"),
    [(63, 100), (100, 63), (4097, 10), (4097, 1000), (100, 2001), (2001, 100)],
)
def test_dimensions_outside_limits_are_refused(width: int, height: int) -> None:
    with pytest.raises(ImageDimensionsInvalid) as refused:
        inspect_image(png(width, height))
    assert refused.value.code == "ERROR_INVALID_IMAGE"
    assert refused.value.message == (
        f"Image is {width}x{height} pixels; each side must be 64-4096 pixels "
        "and the aspect ratio at most 20:1."
    )


def test_dimension_check_can_be_skipped() -> None:
    assert inspect_image(png(63, 100), check_dimensions=False) == ImageInfo("PNG", 63, 100)


def test_dimensions_are_checked_from_the_header_before_decoding(decoding_forbidden: None) -> None:
    with pytest.raises(ImageDimensionsInvalid, match="5000x5000"):
        inspect_image(jpeg_declaring(5000, 5000))


def test_png_dimensions_are_checked_before_decoding(decoding_forbidden: None) -> None:
    with pytest.raises(ImageDimensionsInvalid, match="5000x5000"):
        inspect_image(png_header_only(5000, 5000, with_idat_start=True))


# ------------------------------------------------------------------ format by content


def test_gif_is_refused_by_content() -> None:
    gif = encode(Image.new("RGB", (64, 64)), "GIF")
    with pytest.raises(UnsupportedImageFormat, match="GIF") as refused:
        inspect_image(gif)
    assert refused.value.code == "ERROR_INVALID_IMAGE"
    assert "expected a PNG or JPEG file" in refused.value.message


def test_text_file_named_jpg_is_refused() -> None:
    with pytest.raises(UnsupportedImageFormat, match="not a recognized image format"):
        inspect_image(b"just some notes, saved as photo.jpg\n")


def test_empty_data_is_refused() -> None:
    with pytest.raises(UnsupportedImageFormat, match="empty"):
        inspect_image(b"")


def test_jpeg_signature_followed_by_garbage_is_refused_without_a_pil_error() -> None:
    with pytest.raises(UnsupportedImageFormat, match="could not be decoded"):
        inspect_image(b"\xff\xd8\xff" + b"\x00garbage" * 20)


def test_truncated_jpeg_is_refused_with_a_clear_message() -> None:
    whole = noisy_jpeg(256, 256)
    inspect_image(whole)
    with pytest.raises(UnsupportedImageFormat) as refused:
        inspect_image(whole[: len(whole) // 2])
    assert refused.value.message == (
        "The image could not be decoded; it may be truncated or corrupt. "
        "Expected a complete PNG or JPEG file."
    )


def test_truncated_png_is_refused() -> None:
    whole = encode(Image.frombytes("L", (200, 200), bytes(range(200)) * 200), "PNG")
    with pytest.raises(UnsupportedImageFormat, match="truncated"):
        decode_image(whole[: len(whole) // 2])


# ------------------------------------------------------------------ size and bombs


def test_byte_size_is_checked_before_the_content() -> None:
    with pytest.raises(ImageTooLarge, match="the maximum is 1000 bytes") as refused:
        inspect_image(b"not an image" * 100, max_bytes=1000)
    assert refused.value.code == "ERROR_INVALID_IMAGE"


def test_byte_limits_match_the_service_limits() -> None:
    assert TRAINING_MAX_BYTES == 15 * 1024 * 1024
    assert DETECT_MAX_BYTES == 4 * 1024 * 1024
    with pytest.raises(ImageTooLarge, match="4 MB"):
        decode_image(b"\xff\xd8\xff" + bytes(DETECT_MAX_BYTES), max_bytes=DETECT_MAX_BYTES)


@pytest.mark.parametrize("check_dimensions", [True, False])
def test_png_bomb_header_is_refused_without_decoding(
    decoding_forbidden: None, check_dimensions: bool
) -> None:
    bomb = png_header_only(30000, 30000, with_idat_start=True)
    started = time.perf_counter()
    with pytest.raises(ImageTooLarge):
        inspect_image(bomb, check_dimensions=check_dimensions)
    assert time.perf_counter() - started < 0.5


def test_png_cut_right_after_its_bomb_header_is_refused_cheaply(decoding_forbidden: None) -> None:
    with pytest.raises(ImageProblem) as refused:
        inspect_image(png_header_only(30000, 30000, with_idat_start=False))
    assert refused.value.code == "ERROR_INVALID_IMAGE"


def test_jpeg_declaring_too_many_pixels_is_refused_even_without_dimension_check(
    decoding_forbidden: None,
) -> None:
    with pytest.raises(ImageTooLarge, match="too many"):
        inspect_image(jpeg_declaring(9000, 9000), check_dimensions=False)
    with pytest.raises(ImageTooLarge):
        inspect_image(jpeg_declaring(20000, 20000), check_dimensions=False)


def test_png_declaring_too_many_pixels_is_refused_without_dimension_check(
    decoding_forbidden: None,
) -> None:
    with pytest.raises(ImageTooLarge, match="9000x9000"):
        inspect_image(png_header_only(9000, 9000, with_idat_start=True), check_dimensions=False)


def test_concurrent_checks_leave_warning_filters_intact() -> None:
    filters_before = list(warnings.filters)
    samples = [
        png(64, 64),
        exif_rotated_jpeg(),
        png_header_only(30000, 30000, with_idat_start=True),
    ]

    def outcome(data: bytes) -> str:
        try:
            return inspect_image(data).format
        except ImageProblem as problem:
            return type(problem).__name__

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(outcome, samples * 30))
    assert outcomes == ["PNG", "JPEG", "ImageTooLarge"] * 30
    assert warnings.filters == filters_before


def test_global_pil_and_warning_settings_are_left_alone() -> None:
    limit_before = Image.MAX_IMAGE_PIXELS
    filters_before = list(warnings.filters)
    with pytest.raises(ImageTooLarge):
        inspect_image(png_header_only(30000, 30000, with_idat_start=True))
    inspect_image(png(64, 64))
    assert Image.MAX_IMAGE_PIXELS == limit_before
    assert warnings.filters == filters_before


def test_problems_are_distinct_classes_sharing_the_manifest_code() -> None:
    classes = (UnsupportedImageFormat, ImageTooLarge, ImageDimensionsInvalid)
    assert len(set(classes)) == 3
    assert all(
        issubclass(cls, ImageProblem) and cls.code == "ERROR_INVALID_IMAGE" for cls in classes
    )


# ------------------------------------------------------------------ EXIF and decoding


def exif_rotated_jpeg() -> bytes:
    """100x64 stored pixels, left half red, right half blue; EXIF orientation 6 (90° clockwise)."""
    image = Image.new("RGB", (100, 64), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 50, 64))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    return encode(image, "JPEG", exif=exif.tobytes(), quality=95)


def test_exif_rotation_is_reflected_in_the_reported_size() -> None:
    assert inspect_image(exif_rotated_jpeg()) == ImageInfo("JPEG", 64, 100)


def test_exif_orientation_of_png_is_applied_too() -> None:
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 8
    data = encode(Image.new("RGB", (120, 70)), "PNG", exif=exif.tobytes())
    assert inspect_image(data) == ImageInfo("PNG", 70, 120)
    assert decode_image(data).size == (70, 120)


def test_decode_applies_exif_orientation() -> None:
    image = decode_image(exif_rotated_jpeg())
    assert image.size == (64, 100)
    red, _, blue = image.getpixel((32, 10))
    assert red > 200 and blue < 60
    red, _, blue = image.getpixel((32, 90))
    assert red < 60 and blue > 200


def test_decode_returns_rgb_for_every_mode() -> None:
    palette = Image.new("P", (64, 64), 1)
    palette.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    rgba = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    cmyk = Image.new("CMYK", (64, 64), (0, 255, 255, 0))
    sixteen_bit = Image.new("I;16", (64, 64), 40000)
    gray = Image.new("L", (64, 64), 77)
    decoded = {
        "palette": decode_image(encode(palette, "PNG")),
        "transparent": decode_image(encode(rgba, "PNG")),
        "cmyk": decode_image(encode(cmyk, "JPEG")),
        "sixteen_bit": decode_image(encode(sixteen_bit, "PNG")),
        "gray": decode_image(encode(gray, "JPEG")),
    }
    assert {name: image.mode for name, image in decoded.items()} == dict.fromkeys(decoded, "RGB")
    assert decoded["palette"].getpixel((0, 0)) == (0, 255, 0)
    assert decoded["transparent"].getpixel((0, 0)) == (255, 255, 255)
    assert decoded["sixteen_bit"].getpixel((0, 0)) == (156, 156, 156)
    red, green, blue = decoded["cmyk"].getpixel((0, 0))
    assert red > 200 and green < 60 and blue < 60


def test_decode_applies_the_same_checks() -> None:
    with pytest.raises(ImageDimensionsInvalid):
        decode_image(png(63, 100))
    with pytest.raises(UnsupportedImageFormat):
        decode_image(encode(Image.new("RGB", (64, 64)), "BMP"))
