"""Uploaded photos: verified to be images, bounded in size, resized, EXIF stripped.

Phones embed GPS positions in EXIF; a photo of a customer's home must not leak
them, so every stored image is re-encoded from pixels only.
"""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Decoding costs time and memory by the pixel, not by the byte: a 5 MB PNG of
# 6000 × 6600 took over a second of a web worker. 24 megapixels is a 6000 × 4000
# camera; phones send 12. Checked from the header, before any pixel is decoded.
MAX_PIXELS = 24_000_000


def validate_image_upload(upload: UploadedFile) -> None:
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"“{upload.name}” is {upload.size / 1_048_576:.1f} MB; the limit is "
            f"{limit / 1_048_576:.1f} MB.",
            code="too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:  # reads the header only
            fmt = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    f"“{upload.name}” is {width} × {height} pixels; the limit is "
                    f"{MAX_PIXELS // 1_000_000} megapixels.",
                    code="too_many_pixels",
                )
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            f"“{upload.name}” is not an image we can read (use JPEG, PNG or WebP).",
            code="not_image",
        ) from None
    finally:
        upload.seek(0)
    if fmt not in ALLOWED_FORMATS:
        raise ValidationError(
            f"“{upload.name}” is a {fmt} image; use JPEG, PNG or WebP.", code="format"
        )


def _encode(image: Image.Image, stem: str) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{stem}.jpg")


def process_image_upload(
    upload: UploadedFile, *, max_side: int, thumb_side: int
) -> tuple[ContentFile, ContentFile]:
    """Return (resized image, thumbnail) as EXIF-free JPEG files."""
    validate_image_upload(upload)
    with Image.open(upload) as original:
        # A JPEG decodes straight to a fraction of its size when that is all we keep.
        original.draft("RGB", (max_side, max_side))
        upright = ImageOps.exif_transpose(original)
        pixels = upright.convert("RGB")
    full = pixels.copy()
    full.thumbnail((max_side, max_side))
    thumb = pixels.copy()
    thumb.thumbnail((thumb_side, thumb_side))
    stem = uuid.uuid4().hex
    return _encode(full, stem), _encode(thumb, f"{stem}_thumb")
