"""Small JPEG previews of dataset images, made once and kept in the data folder."""

import hashlib
import io
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

from customlabels.images import MAX_DECODE_PIXELS
from customlabels.service.context import Context
from customlabels.store.blobs import parse_s3_uri

SIZES = (256, 1024)


class NoPreview(Exception):
    """The object is missing or is not an image a preview can be made of."""


def thumbnail(ctx: Context, *, source_ref: str, size: int = 256) -> Path:
    """The cached preview file (longest side at most size), made on first use."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}")
    try:
        bucket, key = parse_s3_uri(source_ref)
        # Why the byte size in the name: an image replaced under the same key gets a new preview.
        digest = hashlib.sha256(f"{source_ref}\n{ctx.blobs.head(bucket, key)}".encode()).hexdigest()
        path = ctx.settings.data_dir / "cache" / "thumbnails" / digest[:2] / f"{digest}-{size}.jpg"
        if path.exists():
            return path
        data = ctx.blobs.get(bucket, key)
    except Exception as error:  # a missing or unreadable object simply has no preview
        raise NoPreview(str(error)) from error
    _write(path, preview(data, size))
    return path


def preview(data: bytes, size: int) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG", "MPO"):
                raise NoPreview(f"not a PNG or JPEG image ({image.format})")
            if image.width * image.height > MAX_DECODE_PIXELS:
                raise NoPreview("the image is too large to preview")
            image.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, much faster
            shown = ImageOps.exif_transpose(image).convert("RGB")
            shown.thumbnail((size, size))
            out = io.BytesIO()
            shown.save(out, "JPEG", quality=82, optimize=True)
            return out.getvalue()
    except NoPreview:
        raise
    except Exception as error:  # Pillow raises many kinds of errors on broken files
        raise NoPreview(f"the image cannot be decoded: {error}") from error


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


PLACEHOLDER = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="#eee"/>'
    b'<path d="M20 20l24 24M44 20L20 44" stroke="#b00" stroke-width="4"/></svg>'
)
