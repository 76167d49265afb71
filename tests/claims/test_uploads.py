"""Uploads: only real JPEG/PNG/WebP images and PDFs, re-encoded without metadata, nothing left behind."""

import hashlib
import io
import os
import re
import zlib
from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from PIL import Image, ImageCms, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from claims.models import Claim, ClaimDocument
from tests.claims.conftest import (
    claim_payload,
    image_bytes,
    jpeg_with_gps,
    pdf_bytes,
    png_bomb,
    stored_files,
    submit,
    upload,
)

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def noisy_jpeg(size=(256, 256)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(out, "JPEG", quality=95)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=300, height=400)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


REFUSED = {
    "text-named-jpg": (b"Dear support team, here is my receipt.\n" * 20, "photo.jpg", "image/jpeg"),
    "truncated-jpeg": (noisy_jpeg()[:4000], "photo.jpg", "image/jpeg"),
    "decompression-bomb": (png_bomb(100_000, 100_000), "photo.png", "image/png"),
    "over-50-megapixels": (png_bomb(8000, 8000), "photo.png", "image/png"),
    "svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
        "label.svg",
        "image/svg+xml",
    ),
    "html": (b"<!doctype html><html><body><script>alert(1)</script></body></html>", "r.html", "text/html"),
    "html-named-jpg": (b"<html><body onload=alert(1)></body></html>", "photo.jpg", "image/jpeg"),
    "gif": (image_bytes("GIF"), "photo.gif", "image/gif"),
    "zero-bytes": (b"", "photo.jpg", "image/jpeg"),
    "20-mb": (noisy_jpeg() + b"\0" * (20 * MB), "photo.jpg", "image/jpeg"),
    "not-a-pdf": (b"%PDF-1.7\n" + os.urandom(2000), "receipt.pdf", "application/pdf"),
    "encrypted-pdf": (encrypted_pdf(), "receipt.pdf", "application/pdf"),
    "pdf-of-21-pages": (pdf_bytes(pages=21), "receipt.pdf", "application/pdf"),
}


def test_a_truncated_image_is_refused_after_a_pdf_report_was_drawn(api, us_recall, media):
    """Drawing a PDF loads weasyprint, whose import tells Pillow to accept truncated images in the
    whole process: the workers that drew a report must still refuse them."""
    from reports.monthly_rendering import monthly_pdf

    assert monthly_pdf([]).startswith(b"%PDF")

    response = submit(api, files={"proof_of_purchase": upload(*REFUSED["truncated-jpeg"])})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_upload"
    assert_nothing_kept(media)


def assert_nothing_kept(media):
    assert not Claim.objects.exists()
    assert not ClaimDocument.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("field", ["proof_of_purchase", "product_photo"])
@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_refused_upload_leaves_nothing(api, us_recall, media, field, case):
    content, name, content_type = REFUSED[case]

    response = submit(api, files={field: upload(content, name, content_type)})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_upload"
    assert body["detail"]
    assert list(body["fields"]) == [field]
    assert_nothing_kept(media)


def test_good_proof_is_not_kept_when_the_photo_is_refused(api, us_recall, media, receipt_pdf):
    response = submit(
        api,
        claim_payload(serial=None),
        files={
            "proof_of_purchase": upload(receipt_pdf, "receipt.pdf", "application/pdf"),
            "product_photo": upload(b"<svg/>", "label.svg", "image/svg+xml"),
        },
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"product_photo": [mock.ANY]}
    assert_nothing_kept(media)


def test_files_already_stored_are_removed_when_the_claim_fails(api, us_recall, media, receipt_pdf, jpeg):
    # given the storage fails on the second of two documents (a full disk, an S3 outage)
    real_save = FileSystemStorage._save
    calls = []

    def save_then_fail(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("No space left on device")
        return real_save(self, name, content)

    api.raise_request_exception = True
    with mock.patch.object(FileSystemStorage, "_save", save_then_fail), pytest.raises(OSError):
        submit(
            api,
            files={
                "proof_of_purchase": upload(receipt_pdf, "receipt.pdf", "application/pdf"),
                "product_photo": upload(jpeg, "label.jpg"),
            },
        )

    assert len(calls) == 2
    assert_nothing_kept(media)


# --- What is kept ---------------------------------------------------------------------------------


def stored_document(kind=ClaimDocument.Kind.PRODUCT_PHOTO) -> tuple[ClaimDocument, bytes]:
    document = ClaimDocument.objects.get(kind=kind)
    with default_storage.open(document.file.name) as stored:
        return document, stored.read()


def test_jpeg_is_stored_without_exif_gps_or_comment(api, us_recall, media):
    sent = jpeg_with_gps(size=(64, 48))
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(0x8825)  # the test photo does carry GPS

    response = submit(api, files={"product_photo": upload(sent, "IMG_0042.jpg")})

    assert response.status_code == 201
    document, kept = stored_document()
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
    assert b"PhoneMaker" not in kept
    assert b"shot at home" not in kept
    assert (document.width, document.height) == (64, 48) == image.size
    assert document.content_type == "image/jpeg"
    assert document.sha256 == hashlib.sha256(sent).hexdigest()
    assert document.size == len(sent)
    # stored under an unguessable name of ours, readable by the server only
    assert "IMG_0042" not in document.file.name
    assert re.fullmatch(r"claims/\d{4}-\d{2}-\d{2}/[0-9a-f]{32}\.jpg", document.file.name)
    assert document.file.name.endswith(".jpg")
    assert stored_files(media) == [media / document.file.name]
    assert (media / document.file.name).stat().st_mode & 0o077 == 0


def test_jpeg_is_turned_upright_before_its_orientation_tag_goes(api, us_recall):
    # given a phone photo stored sideways with Orientation 6 (rotate 90° clockwise to view)
    sent = jpeg_with_gps(size=(64, 48), orientation=6)

    assert submit(api, files={"product_photo": upload(sent)}).status_code == 201

    document, kept = stored_document()
    assert (document.width, document.height) == (48, 64) == Image.open(io.BytesIO(kept)).size
    assert dict(Image.open(io.BytesIO(kept)).getexif()) == {}


def test_cmyk_jpeg_is_stored_as_rgb(api, us_recall):
    out = io.BytesIO()
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(out, "JPEG")

    assert submit(api, files={"product_photo": upload(out.getvalue())}).status_code == 201

    _, kept = stored_document()
    assert Image.open(io.BytesIO(kept)).mode == "RGB"


def test_png_is_stored_without_text_exif_or_colour_profile(api, us_recall):
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "home address: 1 Main Street")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    sent = image_bytes("PNG", (30, 20), pnginfo=text, exif=exif.tobytes(), icc_profile=icc)
    assert {"Comment", "exif", "icc_profile"} <= set(Image.open(io.BytesIO(sent)).info)

    response = submit(api, files={"product_photo": upload(sent, "label.png", "image/png")})

    assert response.status_code == 201
    document, kept = stored_document()
    image = Image.open(io.BytesIO(kept))
    assert (image.format, document.content_type) == ("PNG", "image/png")
    assert not {"Comment", "exif", "icc_profile", "xmp"} & set(image.info)
    assert b"Main Street" not in kept
    assert (document.width, document.height) == (30, 20)
    assert document.sha256 == hashlib.sha256(sent).hexdigest()
    assert document.file.name.endswith(".png")


def test_png_keeps_its_transparency(api, us_recall):
    sent = io.BytesIO()
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(sent, "PNG")

    assert (
        submit(api, files={"product_photo": upload(sent.getvalue(), "a.png", "image/png")}).status_code == 201
    )

    _, kept = stored_document()
    assert Image.open(io.BytesIO(kept)).getpixel((0, 0))[3] == 0


def test_webp_is_stored_without_exif(api, us_recall):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}
    sent = image_bytes("WEBP", (32, 24), exif=exif.tobytes())
    assert "exif" in Image.open(io.BytesIO(sent)).info

    response = submit(api, files={"product_photo": upload(sent, "label.webp", "image/webp")})

    assert response.status_code == 201
    document, kept = stored_document()
    image = Image.open(io.BytesIO(kept))
    assert (image.format, document.content_type) == ("WEBP", "image/webp")
    assert "exif" not in image.info
    assert dict(image.getexif()) == {}
    assert (document.width, document.height) == (32, 24)
    assert document.file.name.endswith(".webp")


def test_multi_picture_jpeg_from_a_phone_is_accepted_as_jpeg(api, us_recall):
    # given an MPO file (a JPEG with a second picture appended, as some phone cameras write)
    sent = io.BytesIO()
    first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    first.save(sent, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(sent.getvalue())).format == "MPO"

    response = submit(api, files={"product_photo": upload(sent.getvalue())})

    assert response.status_code == 201
    document, kept = stored_document()
    assert document.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(kept)).format == "JPEG"


def test_pdf_is_stored_without_its_metadata(api, us_recall, media):
    sent = pdf_bytes(pages=2, metadata={"/Author": "Jane Customer", "/Title": "Receipt 0042"})

    response = submit(
        api,
        claim_payload(serial=None),
        files={"proof_of_purchase": upload(sent, "receipt.pdf", "application/pdf")},
    )

    assert response.status_code == 201
    document, kept = stored_document(ClaimDocument.Kind.PROOF_OF_PURCHASE)
    assert document.content_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(sent).hexdigest()
    assert (document.size, document.width, document.height) == (len(sent), None, None)
    assert document.file.name.endswith(".pdf")
    reader = PdfReader(io.BytesIO(kept))
    assert len(reader.pages) == 2
    metadata = reader.metadata or {}
    assert "/Author" not in metadata
    assert "/Title" not in metadata
    assert b"Jane Customer" not in kept


def test_pdf_loses_its_scripts_and_actions(api, us_recall):
    # given a PDF with document JavaScript and a script run when its page opens
    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=400)
    writer.add_open_action(JavaScript("app.alert('document');"))
    page[NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("app.alert('page');"),
                }
            )
        }
    )
    out = io.BytesIO()
    writer.write(out)
    sent = out.getvalue()
    assert sent.count(b"/JS ") == 2

    response = submit(
        api, claim_payload(serial=None), files={"proof_of_purchase": upload(sent, "r.pdf", "application/pdf")}
    )

    assert response.status_code == 201
    _, kept = stored_document(ClaimDocument.Kind.PROOF_OF_PURCHASE)
    assert b"/JavaScript" not in kept
    assert b"/JS " not in kept
    root = PdfReader(io.BytesIO(kept)).trailer["/Root"]
    assert "/OpenAction" not in root
    assert "/Names" not in root
    assert "/AA" not in PdfReader(io.BytesIO(kept)).pages[0]


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("JPEG", "image/jpeg", ".jpg"), ("PNG", "image/png", ".png"), ("WEBP", "image/webp", ".webp")],
)
def test_each_image_format_is_accepted(api, us_recall, media, fmt, content_type, extension):
    sent = image_bytes(fmt, (50, 40))

    # the customer's file name and declared type do not matter; the bytes do
    response = submit(api, files={"product_photo": upload(sent, "photo.bin", "application/octet-stream")})

    assert response.status_code == 201
    document, kept = stored_document()
    assert (document.content_type, document.width, document.height) == (content_type, 50, 40)
    assert document.file.name.endswith(extension)
    assert Image.open(io.BytesIO(kept)).format == fmt
    assert len(stored_files(media)) == 1


def _webp(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "WEBP", quality=1, method=0)
    return out.getvalue()


def test_an_image_too_costly_to_decode_is_refused_before_any_pixel_is_decoded(api, us_recall):
    from PIL import WebPImagePlugin

    small_file = _webp((7000, 7000))  # under 50 megapixels, about 130 KB, 200 MB once decoded
    assert len(small_file) < 200_000
    with mock.patch.object(WebPImagePlugin.WebPImageFile, "load", side_effect=AssertionError("decoded")):
        response = submit(
            api, claim_payload(), files={"product_photo": upload(small_file, "label.webp", "image/webp")}
        )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_upload"
    assert "megapixels" in response.json()["fields"]["product_photo"][0]
    assert not Claim.objects.exists()


def test_a_large_phone_jpeg_is_decoded_at_a_smaller_scale_within_the_budget(api, us_recall):
    out = io.BytesIO()
    Image.new("RGB", (8000, 6000), (200, 30, 30)).save(out, "JPEG", quality=50)  # a 48-megapixel photo
    response = submit(api, claim_payload(), files={"product_photo": upload(out.getvalue(), "big.jpg")})
    assert response.status_code == 201
    document = ClaimDocument.objects.get()
    assert (document.width, document.height) == (4000, 3000)


def _pdf_with_text(extra=None) -> bytes:
    """A one-page PDF that says "Receipt 0042" in Helvetica; ``extra(writer, page)`` adds to it."""
    from pypdf.generic import DecodedStreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=400)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 18 Tf 40 300 Td (Receipt 0042) Tj ET")
    page.replace_contents(content)
    if extra:
        extra(writer, page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _send_pdf(api, sent):
    return submit(
        api, claim_payload(serial=None), files={"proof_of_purchase": upload(sent, "r.pdf", "application/pdf")}
    )


def test_a_rebuilt_pdf_keeps_what_its_pages_show(api, us_recall, media):
    response = _send_pdf(api, _pdf_with_text())
    assert response.status_code == 201
    _, kept = stored_document(ClaimDocument.Kind.PROOF_OF_PURCHASE)
    assert "Receipt 0042" in PdfReader(io.BytesIO(kept)).pages[0].extract_text()


def test_a_pdf_keeps_no_attachment_script_or_object_its_pages_do_not_draw(api, us_recall, media):
    def hostile(writer, page):
        writer.add_attachment("invoice.exe", b"MZ-not-a-receipt")
        writer.add_open_action(JavaScript("app.alert('document');"))
        page[NameObject("/Annots")] = writer._add_object(
            DictionaryObject({NameObject("/Subtype"): NameObject("/FileAttachment")})
        )

    sent = _pdf_with_text(hostile)
    assert b"invoice" in sent and b"MZ-not" in sent and b"/JavaScript" in sent
    response = _send_pdf(api, sent)
    assert response.status_code == 201
    _, kept = stored_document(ClaimDocument.Kind.PROOF_OF_PURCHASE)
    for forbidden in (
        b"invoice.exe",
        b"MZ-not",
        b"/JavaScript",
        b"/EmbeddedFile",
        b"/FileAttachment",
        b"/Annots",
    ):
        assert forbidden not in kept, forbidden
    assert "Receipt 0042" in PdfReader(io.BytesIO(kept)).pages[0].extract_text()


@pytest.mark.parametrize("referenced", [True, False], ids=["drawn-by-the-page", "left-beside-it"])
def test_a_flate_bomb_is_never_stored(api, us_recall, media, referenced):
    from pypdf.generic import StreamObject

    bomb_data = zlib.compress(b"\0" * (80 * 1024 * 1024), 9)  # about 80 KB that inflate to 80 MB

    def with_bomb(writer, page):
        bomb = StreamObject()
        bomb._data = bomb_data
        bomb[NameObject("/Filter")] = NameObject("/FlateDecode")
        bomb_ref = writer._add_object(bomb)
        if referenced:
            page[NameObject("/Contents")] = bomb_ref
        else:
            writer._root_object[NameObject("/Bomb")] = bomb_ref

    sent = _pdf_with_text(with_bomb)
    assert len(sent) < MAX_SENT_BOMB
    response = _send_pdf(api, sent)
    if referenced:
        assert response.status_code == 400 and response.json()["code"] == "invalid_upload"
        assert not Claim.objects.exists()
    else:
        assert response.status_code == 201
        _, kept = stored_document(ClaimDocument.Kind.PROOF_OF_PURCHASE)
        assert bomb_data not in kept and len(kept) < 10_000


MAX_SENT_BOMB = 1024 * 1024
