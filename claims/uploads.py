"""Customer uploads: decoded, checked and re-encoded before anything is stored.

Images are decoded with Pillow and written anew without any metadata (EXIF, GPS, comments, ICC);
PDFs are parsed and their pages copied into a new document, which leaves document metadata, scripts and
open actions behind. The SHA-256 is taken over the bytes received, so the same receipt sent twice is
recognised whatever the re-encoding does.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter

from config.api import ApplicationError

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 50_000_000
MAX_PDF_PAGES = 20
_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class CleanUpload:
    content: bytes
    content_type: str
    sha256: str
    size: int
    width: int | None = None
    height: int | None = None


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(
        "invalid_upload", "An uploaded file was refused.", status_code=400, fields={field: [message]}
    )


def clean_upload(upload: UploadedFile, *, field: str) -> CleanUpload:
    """Check and re-encode one upload, or raise ``invalid_upload``."""
    if upload.size is None or upload.size == 0:
        raise _invalid(field, "The file is empty.")
    if upload.size > MAX_UPLOAD_BYTES:
        raise _invalid(field, f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    upload.seek(0)
    received = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(received) > MAX_UPLOAD_BYTES:
        raise _invalid(field, f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    digest = hashlib.sha256(received).hexdigest()
    if received.startswith(b"%PDF-"):
        content = _reencode_pdf(received, field)
        return CleanUpload(content, "application/pdf", digest, len(received))
    content, content_type, width, height = _reencode_image(received, field)
    return CleanUpload(content, content_type, digest, len(received), width, height)


def _reencode_image(received: bytes, field: str) -> tuple[bytes, str, int, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(received))
            if image.format not in _IMAGE_FORMATS:
                raise _invalid(field, "Send a JPEG, PNG or WebP image, or a PDF.")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _invalid(field, f"The image is larger than {MAX_PIXELS // 1_000_000} megapixels.")
            image_format = image.format
            image.load()
            image = ImageOps.exif_transpose(image)
    except ApplicationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid(field, f"The image is larger than {MAX_PIXELS // 1_000_000} megapixels.") from None
    except Exception:  # Pillow raises many kinds for broken files; all of them mean "not an image"
        raise _invalid(field, "The file is not a readable JPEG, PNG or WebP image, or PDF.") from None

    out = io.BytesIO()
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90, optimize=True)
    elif image_format == "PNG":
        image.save(out, "PNG", optimize=False)
    else:
        image.save(out, "WEBP", quality=90)
    return out.getvalue(), _IMAGE_FORMATS[image_format], image.width, image.height


def _reencode_pdf(received: bytes, field: str) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(received), strict=False)
        if reader.is_encrypted:
            raise _invalid(field, "The PDF is password-protected.")
        pages = reader.pages
        if not 1 <= len(pages) <= MAX_PDF_PAGES:
            raise _invalid(field, f"The PDF must have between 1 and {MAX_PDF_PAGES} pages.")
        writer = PdfWriter()
        for page in pages:
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
    except ApplicationError:
        raise
    except Exception:  # pypdf raises many kinds for broken files
        raise _invalid(field, "The file is not a readable PDF.") from None
    return out.getvalue()
