"""Image decoding is bounded by pixel count, read from the header before any pixel is
decoded (issue 25, finding 1: five 6000 × 6600 PNGs took 6.9 s of a worker)."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from technicians import images


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature, header and the start of its pixel data, cut short: what
    Image.open reads (it stops at the first IDAT chunk)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(header))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", 1_000_000)
        + b"IDAT"
        + zlib.compress(b"\0" * 1000)
    )


def test_a_huge_png_is_refused_from_its_header_before_anything_is_decoded(monkeypatch):
    decoded = []
    monkeypatch.setattr(Image.Image, "verify", lambda self: decoded.append("verify"))
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append("load"))
    upload = SimpleUploadedFile("big.png", png_header(6000, 6600), content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        images.validate_image_upload(upload)
    assert refused.value.code == "too_many_pixels"
    assert refused.value.messages == [
        "“big.png” is 6000 × 6600 pixels; the limit is 24 megapixels."
    ]
    assert decoded == []


def test_an_image_at_the_limit_passes_the_pixel_check():
    upload = SimpleUploadedFile("ok.png", png_header(6000, 4000), content_type="image/png")
    with pytest.raises(ValidationError) as refused:  # no pixel data: unreadable, not too big
        images.validate_image_upload(upload)
    assert refused.value.code == "not_image"


def test_a_large_jpeg_is_decoded_at_a_fraction_of_its_size(monkeypatch, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50 * 1024 * 1024
    buffer = io.BytesIO()
    Image.new("RGB", (4800, 3600), (90, 120, 30)).save(buffer, format="JPEG")
    upload = SimpleUploadedFile("wide.jpg", buffer.getvalue(), content_type="image/jpeg")
    converted = []
    original_convert = Image.Image.convert

    def convert(self, *args, **kwargs):
        converted.append(self.size)
        return original_convert(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "convert", convert)
    full, thumb = images.process_image_upload(upload, max_side=600, thumb_side=120)
    assert converted and max(converted[0]) < 4800  # decoded small (JPEG draft), not whole
    with Image.open(full) as stored, Image.open(thumb) as small:
        assert max(stored.size) == 600 and max(small.size) == 120
