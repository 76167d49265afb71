"""Customer uploads: decoded, checked and re-encoded before anything is stored.

Images are decoded with Pillow and written anew without any metadata (EXIF, GPS, comments, ICC);
PDFs are rebuilt from each page's size, content and resources only, within a decompression budget, so
nothing a viewer could run or inflate is stored. The SHA-256 is taken over the bytes received, so the same
receipt sent twice is recognised whatever the re-encoding does. Copies that are not byte for byte the
same are recognised too: a photo of the unit by a perceptual fingerprint of its picture (re-saved,
resized, a byte added), a PDF by the digest of what its pages draw (re-saved, metadata changed, a byte
added).
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import warnings
from dataclasses import dataclass

import imagehash
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, ImageStat
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, StreamObject

from core.errors import ApplicationError

from .labels import LABEL_READ_SIDE, label_text

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 50_000_000
# What decoding one image may cost in memory, known from its header before any pixel is decoded: a
# 90 KB WebP can declare 7,000 x 7,000 pixels, 200 MB once decoded and seconds of CPU. 96 MB is a
# 24-megapixel photo; a larger JPEG is decoded at a half, a quarter or an eighth of its size instead
# (its draft mode, which is cheap), so a 48-megapixel phone photo still goes through.
DECODE_BUDGET_BYTES = 96 * 1024 * 1024
# At most this many uploads of one process are decoded at once (gunicorn runs threads): the budget
# above then bounds the process's memory too, not only each upload's.
_DECODING = threading.BoundedSemaphore(2)
# Bytes a pixel takes in Pillow's memory, by mode: three-channel images are stored in four bytes.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "LA": 4, "PA": 4}
MAX_PDF_PAGES = 20
# Pillow names a JPEG that carries further pictures (as some phone cameras write) MPO: its first
# picture is kept, as a plain JPEG.
_IMAGE_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# What the re-encoded image may keep from the decoded one's ``info``: PNG transparency is pixel data.
# Everything else there is metadata that Pillow's encoders would otherwise write back (the JPEG
# comment, the PNG colour profile).
_KEPT_INFO = ("transparency",)
# What a rebuilt page keeps of its resources: what its content draws with. Nothing here can run.
_PDF_RESOURCES_KEPT = ("/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/ProcSet")
# All a receipt's streams may inflate to, together: a few pages of text and scanned images.
PDF_DECODE_BUDGET_BYTES = 50 * 1024 * 1024
# A picture this close to one colour (standard deviation of its grey levels) has no fingerprint: every
# blank page would be a near copy of every other.
_FLAT_PICTURE = 4.0


@dataclass(frozen=True)
class CleanUpload:
    content: bytes
    content_type: str
    sha256: str
    size: int
    width: int | None = None
    height: int | None = None
    # Photos of the unit: the perceptual hash (64 bits, in hex) of the picture; empty if it is flat.
    fingerprint: str = ""
    # PDFs: the SHA-256 of what the rebuilt pages draw (their content and every stream they use).
    content_sha256: str = ""
    # What Tesseract read on a label photo; None where it was not asked or could not read.
    label_text: str | None = None


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("invalid_upload", _("An uploaded file was refused."), fields={field: [message]})


def _too_large(field: str) -> ApplicationError:
    return _invalid(
        field, _("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
    )


def _decoding_cost(image: Image.Image) -> int:
    width, height = image.size
    return width * height * _BYTES_PER_PIXEL.get(image.mode, 4)


def _within_budget(image: Image.Image, field: str) -> None:
    """Refuse, from the header alone, an image whose decoding would cost more than the budget; a JPEG
    is first asked to decode at a smaller scale (a power of two) that fits."""
    if _decoding_cost(image) <= DECODE_BUDGET_BYTES:
        return
    if image.format in ("JPEG", "MPO"):
        width, height = image.size
        for scale in (2, 4, 8):
            if _decoding_cost(image) // (scale * scale) <= DECODE_BUDGET_BYTES:
                image.draft(image.mode, (width // scale, height // scale))
                break
    if _decoding_cost(image) > DECODE_BUDGET_BYTES:
        raise _invalid(
            field,
            _("The image is too large to check: send a photo of at most %(size)s megapixels.")
            % {"size": DECODE_BUDGET_BYTES // 4 // 1_000_000},
        )


def _too_many_pixels(field: str) -> ApplicationError:
    return _invalid(
        field, _("The image is larger than %(size)s megapixels.") % {"size": MAX_PIXELS // 1_000_000}
    )


def clean_upload(upload: UploadedFile, *, field: str, unit_photo: bool = False) -> CleanUpload:
    """Check and re-encode one upload, or raise ``invalid_upload``. A ``unit_photo`` is fingerprinted
    and its label read while it is decoded.

    Receipt images get no fingerprint: photos of one shop's receipts are one template, and measured on a
    generated day (bench/fraud.py) their fingerprints came within 2 bits of each other as often as a
    receipt's copies did. They are compared by their bytes, PDFs by what their pages draw."""
    if upload.size is None or upload.size == 0:
        raise _invalid(field, _("The file is empty."))
    if upload.size > MAX_UPLOAD_BYTES:
        raise _too_large(field)
    upload.seek(0)
    received = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(received) > MAX_UPLOAD_BYTES:
        raise _too_large(field)
    digest = hashlib.sha256(received).hexdigest()
    with _DECODING:
        if received.startswith(b"%PDF-"):
            content, drawn = _reencode_pdf(received, field)
            return CleanUpload(content, "application/pdf", digest, len(received), content_sha256=drawn)
        image, content_type = _decode_image(received, field)
        content = _encode_image(image, content_type)
        fingerprint, text = _read_unit_photo(image) if unit_photo else ("", None)
        return CleanUpload(
            content,
            content_type,
            digest,
            len(received),
            image.width,
            image.height,
            fingerprint=fingerprint,
            label_text=text,
        )


def _decode_image(received: bytes, field: str) -> tuple[Image.Image, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(received))
            if image.format not in _IMAGE_FORMATS:
                raise _invalid(field, _("Send a JPEG, PNG or WebP image, or a PDF."))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _too_many_pixels(field)
            _within_budget(image, field)
            content_type = _IMAGE_FORMATS[image.format]
            image.load()
            image = ImageOps.exif_transpose(image)
            image.info = {k: v for k, v in image.info.items() if k in _KEPT_INFO}
    except ApplicationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(field) from None
    except Exception:  # Pillow raises many kinds for broken files; all of them mean "not an image"
        raise _invalid(field, _("The file is not a readable JPEG, PNG or WebP image, or PDF.")) from None
    return image, content_type


def _encode_image(image: Image.Image, content_type: str) -> bytes:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90, optimize=True)
    elif content_type == "image/png":
        image.save(out, "PNG", optimize=False)
    else:
        image.save(out, "WEBP", quality=90)
    return out.getvalue()


def _read_unit_photo(image: Image.Image) -> tuple[str, str | None]:
    """The photo's fingerprint and the text on its label, from one grey copy at reading size."""
    grey = image.convert("L")
    grey.thumbnail((LABEL_READ_SIDE, LABEL_READ_SIDE))
    return _fingerprint(grey), label_text(grey)


def _fingerprint(grey: Image.Image) -> str:
    """The picture's perceptual hash (DCT), which re-saving, resizing or a changed byte hardly moves."""
    small = grey.copy()
    small.thumbnail((256, 256))
    if ImageStat.Stat(small).stddev[0] < _FLAT_PICTURE:
        return ""
    return str(imagehash.phash(small))


def _reencode_pdf(received: bytes, field: str) -> tuple[bytes, str]:
    """A new PDF built from each page's size, content and resources only: whatever the file held beside
    them (scripts, actions, attachments, annotations, metadata, unreferenced objects) is never copied.
    Every stream kept is decoded once to count what it inflates to, within ``PDF_DECODE_BUDGET_BYTES``
    for the whole file (pypdf caps each stream's decompression too); the digest of those decoded
    streams, and of the pages' sizes, is returned beside the PDF.

    Why not a perceptual hash of the rendered page: receipts of one shop are one template, and the
    fingerprints of a white page with a few different lines of text differ by a bit or two."""
    try:
        reader = PdfReader(io.BytesIO(received), strict=False)
        if reader.is_encrypted:
            raise _invalid(field, _("The PDF is password-protected."))
        pages = reader.pages
        if not 1 <= len(pages) <= MAX_PDF_PAGES:
            raise _invalid(
                field, _("The PDF must have between 1 and %(pages)s pages.") % {"pages": MAX_PDF_PAGES}
            )
        writer = PdfWriter()
        for page in pages:
            _rebuild_page(page, writer)
        # Every stream kept, once each (a font or logo shared by all pages counts once), within budget.
        budget = PDF_DECODE_BUDGET_BYTES
        digests = []
        for stream in _streams_of(list(writer.pages)):
            data = stream.get_data()
            digests.append(hashlib.sha256(data).digest())
            budget -= len(data)
            if budget < 0:
                raise _invalid(
                    field,
                    _("The PDF expands to more than %(size)s MB: send a photo of the receipt instead.")
                    % {"size": PDF_DECODE_BUDGET_BYTES // (1024 * 1024)},
                )
        drawn = ""
        if budget < PDF_DECODE_BUDGET_BYTES:  # a PDF that draws nothing is like any other blank one
            sizes = repr([[float(v) for v in page.mediabox] for page in writer.pages]).encode()
            drawn = hashlib.sha256(sizes + b"".join(sorted(digests))).hexdigest()
        out = io.BytesIO()
        writer.write(out)
    except ApplicationError:
        raise
    except Exception:  # pypdf raises many kinds for broken files, and LimitReachedError for bombs
        raise _invalid(field, _("The file is not a readable PDF.")) from None
    return out.getvalue(), drawn


def _rebuild_page(page: PageObject, writer: PdfWriter) -> None:
    box = page.mediabox
    fresh = writer.add_blank_page(width=box.width, height=box.height)
    # The page's own boxes, origin included: content drawn at [0 792 612 1584] stays on the page.
    for name in ("/MediaBox", "/CropBox"):
        if name in page:
            fresh[NameObject(name)] = ArrayObject(FloatObject(float(v)) for v in page[name])
    if "/Rotate" in page:
        fresh[NameObject("/Rotate")] = NumberObject(int(page["/Rotate"]))
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    resources = page.get("/Resources")
    if resources is not None:
        resources = resources.get_object()
        kept = DictionaryObject(
            {NameObject(key): value for key, value in resources.items() if key in _PDF_RESOURCES_KEPT}
        )
        fresh[NameObject("/Resources")] = kept.clone(writer)
    stream = StreamObject()
    stream.set_data(data)
    fresh.replace_contents(stream)
    fresh.compress_content_streams()


def _streams_of(root) -> list[StreamObject]:
    """Every stream reachable from ``root`` (fonts' files, images, forms), each once."""
    found, seen, todo = [], set(), [root]
    while todo:
        item = todo.pop()
        if item is None:
            continue
        if hasattr(item, "idnum"):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, StreamObject):
            found.append(item)
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return found
