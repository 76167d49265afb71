"""Fixtures of the claims tests: a private storage per test, claim payloads, and file builders."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

CLAIMS = "/api/v1/claims/"


def recalled_serial(number: int) -> str:
    """A serial in the ``us_recall`` range: AH2306 and ten digits."""
    return f"AH2306{number:010d}"


NOT_RECALLED_SERIAL = "AH2307" + "0" * 8 + "42"  # another prefix: a valid A1263 serial, in no batch


def claim_payload(**overrides) -> dict:
    payload = {
        "model_number": "A1263",
        "serial": recalled_serial(42),
        "country": "US",
        "remedy": "gift_card",
        "name": "Jane Customer",
        "email": "jane@example.com",
        "phone": "+1 202 555 0100",
        "address_line1": "1 Main Street",
        "city": "Springfield",
        "postal_code": "12345",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def upload(content: bytes, name: str = "file.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def submit(client, payload: dict | None = None, *, files: dict | None = None, key: str | None = None):
    """POST a claim: JSON without files, multipart with them."""
    headers = {"Idempotency-Key": key} if key else {}
    payload = claim_payload() if payload is None else payload
    if files:
        return client.post(CLAIMS, {**payload, **files}, format="multipart", headers=headers)
    return client.post(CLAIMS, payload, format="json", headers=headers)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- Files ----------------------------------------------------------------------------------------


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    """A JPEG whose EXIF holds the camera, a GPS position (tag 0x8825) and optionally an orientation."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x8825] = {  # GPSInfo IFD
        1: "N",
        2: (52.0, 31.0, 12.0),
        3: "E",
        4: (13.0, 24.0, 18.0),
    }
    return image_bytes("JPEG", size, exif=exif.tobytes(), comment=b"shot at home")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG of a few dozen bytes whose header declares ``width`` x ``height`` RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def pdf_bytes(pages: int = 1, metadata: dict | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=300, height=400)
    writer.add_metadata(metadata or {"/Author": "Jane Customer", "/Title": "Receipt 0042"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def jpeg():
    return image_bytes("JPEG")


@pytest.fixture
def receipt_pdf():
    return pdf_bytes()


# --- Storage --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Every claims test stores uploads in its own directory.

    Assigning STORAGES through pytest-django's ``settings`` goes through override_settings, whose
    ``setting_changed`` signal makes Django drop its cached storage backends and ``default_storage``.
    """
    location = tmp_path / "media"
    location.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None, "file_permissions_mode": 0o600},
        },
    }
    return location


def stored_files(location: Path) -> list[Path]:
    return sorted(p for p in location.rglob("*") if p.is_file())
