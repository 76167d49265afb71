"""Gift-card farming: the checks that hold a farmed claim for an agent, and leave honest ones alone.

Each case was let through before the checks existed: consecutive serials from five contacts, contacts
that differ by a plus-tag or "St." for "Street", a receipt with a byte added, a photo re-saved.
"""

from __future__ import annotations

import io
import random

import pytest
from django.test import override_settings
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from claims.labels import LabelCheck, label_reading_available, serial_on_label
from claims.models import Claim, ClaimDocument, ClaimFlag
from claims.selectors import claims_sharing_contact
from recalls.models import ProductModel
from tests.claims.conftest import claim_payload, recalled_serial, submit, upload
from tests.factories import RecalledBatchFactory, SerialRangeFactory

pytestmark = pytest.mark.django_db

Reason = ClaimFlag.Reason


def reasons(reference: str) -> set[str]:
    return set(ClaimFlag.objects.filter(claim__reference=reference).values_list("reason", flat=True))


def contact(n: int, **overrides) -> dict:
    """A customer of their own: e-mail and address unlike any other's."""
    return {
        "name": f"Customer {n}",
        "email": f"customer{n}@example.com",
        "address_line1": f"{n} Elm Road",
        "postal_code": f"{10000 + n}",
        **overrides,
    }


# --- Files ----------------------------------------------------------------------------------------


def receipt_pdf(order: str, *, tail: bytes = b"", author: str = "Shop") -> bytes:
    """A one-page receipt drawing its order number in Helvetica."""
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
    content.set_data(f"BT /F1 12 Tf 40 350 Td (ELECTRO MART order {order}) Tj ET".encode())
    page.replace_contents(content)
    writer.add_metadata({"/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue() + tail


def photo(seed: int, *, size=(640, 480), quality: int = 90) -> bytes:
    """A photo-like picture of its own: random shapes on a random background."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.ellipse(
            (x, y, x + rng.randrange(40, 300), y + rng.randrange(40, 300)),
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def resaved(jpeg: bytes, *, scale: float = 0.8, quality: int = 70) -> bytes:
    image = Image.open(io.BytesIO(jpeg))
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def label_photo(serial: str) -> bytes:
    """The unit's label, photographed: model, serial and the word RECALLED."""
    image = Image.new("RGB", (1200, 700), (150, 150, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 120, 1100, 580), fill=(240, 240, 235))
    font = ImageFont.load_default(size=48)
    draw.text((160, 180), "Model A1263  PowerCore 10000", font=font, fill=(20, 20, 20))
    draw.text((160, 300), f"S/N {serial}", font=font, fill=(20, 20, 20))
    draw.text((160, 440), "RECALLED", font=font, fill=(190, 20, 20))
    out = io.BytesIO()
    image.rotate(2, fillcolor=(150, 150, 140)).save(out, "JPEG", quality=88)
    return out.getvalue()


# --- Contacts -------------------------------------------------------------------------------------


def test_plus_tags_and_case_are_one_mailbox(api, us_recall):
    # given three claims from farmer+1@, farmer+2@ and Farmer+3@, each at an address of its own
    for n in range(1, 4):
        response = submit(
            api, claim_payload(serial=recalled_serial(100 * n), **contact(n, email=f"Farmer+{n}@Example.com"))
        )
        assert response.status_code == 201

    # when a fourth comes from f.armer@
    fourth = submit(
        api, claim_payload(serial=recalled_serial(900), **contact(9, email="f.armer@example.com"))
    )

    # then it waits for an agent, who reads why, and so do the three before it
    assert fourth.json()["status"] == "needs_review"
    flag = ClaimFlag.objects.get(claim__reference=fourth.json()["reference"])
    assert flag.reason == Reason.MANY_CLAIMS_FROM_CONTACT
    assert "3 other open claims" in flag.detail
    assert ClaimFlag.objects.filter(reason=Reason.MANY_CLAIMS_FROM_CONTACT).count() == 4
    assert set(Claim.objects.values_list("status", flat=True)) == {"needs_review"}

    # the agents' page counts them as the rule does
    assert claims_sharing_contact(claim=Claim.objects.get(reference=fourth.json()["reference"])).count() == 3

    # and a fifth holds only itself: the others are held for it already
    submit(api, claim_payload(serial=recalled_serial(950), **contact(10, email="farmer+5@example.com")))
    assert ClaimFlag.objects.filter(reason=Reason.MANY_CLAIMS_FROM_CONTACT).count() == 5


@pytest.mark.parametrize(
    "spellings",
    [
        ["77 Oak St.", "77, Oak Street", "77 OAK STREET", "77 oak st"],
        ["Hauptstraße 5", "Haupt Str. 5", "Hauptstr. 5", "Haupt-Straße 5"],
    ],
)
def test_one_door_however_it_is_spelt(api, us_recall, spellings):
    for n, spelling in enumerate(spellings[:3]):
        response = submit(
            api,
            claim_payload(
                serial=recalled_serial(100 * n), **contact(n, address_line1=spelling, postal_code="94107")
            ),
        )
        assert response.json()["status"] == "approved"

    fourth = submit(
        api,
        claim_payload(
            serial=recalled_serial(900), **contact(9, address_line1=spellings[3], postal_code="94107")
        ),
    )

    assert reasons(fourth.json()["reference"]) == {Reason.MANY_CLAIMS_FROM_CONTACT}


# --- Neighbouring serials -------------------------------------------------------------------------


def test_consecutive_serials_from_different_contacts_hold_every_one_of_them(api, us_recall):
    # given five consecutive recalled serials, each claimed with its own e-mail and address
    references = [
        submit(api, claim_payload(serial=recalled_serial(5000 + n), **contact(n))).json()["reference"]
        for n in range(5)
    ]

    # then the first was approved before the others came, and went back to review when they did
    claims = {claim.reference: claim for claim in Claim.objects.all()}
    assert {claims[reference].status for reference in references} == {"needs_review"}
    for reference in references:
        assert Reason.NEIGHBOURING_SERIALS in reasons(reference)
    detail = ClaimFlag.objects.filter(claim__reference=references[0]).first().detail
    assert recalled_serial(5001) in detail and references[1] in detail


def test_serials_further_apart_or_from_one_household_pass(api, us_recall):
    # a family's two units bought together: consecutive serials, one e-mail
    first = submit(api, claim_payload(serial=recalled_serial(7000), **contact(1)))
    second = submit(api, claim_payload(serial=recalled_serial(7001), **contact(1)))
    # a stranger three numbers away
    third = submit(api, claim_payload(serial=recalled_serial(7004), **contact(2)))

    assert [r.json()["status"] for r in (first, second, third)] == ["approved"] * 3
    assert not ClaimFlag.objects.exists()


def test_every_neighbour_within_the_distance_is_named(api, us_recall, settings):
    """With a distance of three, a serial has six neighbours: the claim names each of them, and each of
    them names it (more than five, the most a check shows of one kind is ten)."""
    settings.NEIGHBOURING_SERIAL_DISTANCE = 3
    others = {
        submit(api, claim_payload(serial=recalled_serial(5000 + n), **contact(10 + n))).json()["reference"]: n
        for n in (-3, -2, -1, 1, 2, 3)
    }

    middle = submit(api, claim_payload(serial=recalled_serial(5000), **contact(10))).json()["reference"]

    flags = ClaimFlag.objects.filter(claim__reference=middle, reason=Reason.NEIGHBOURING_SERIALS)
    assert sorted(flags.values_list("related_claim__reference", flat=True)) == sorted(others)
    assert sorted(flags.values_list("detail", flat=True)) == sorted(
        f"Serial {recalled_serial(5000 + n)}, next to this one, was claimed by another contact "
        f"(claim {reference})."
        for reference, n in others.items()
    )
    for reference in others:
        assert ClaimFlag.objects.filter(
            claim__reference=reference, related_claim__reference=middle, reason=Reason.NEIGHBOURING_SERIALS
        ).exists()


def test_the_last_serial_of_its_digits_is_a_neighbour_too(api, us_recall):
    """Neighbours are looked for up to the highest number the serial's digits can write (999999999
    here), not one below it."""
    batch = RecalledBatchFactory(recall=us_recall, model=us_recall.models.get(), markets=["US"])
    SerialRangeFactory(batch=batch, prefix="AH2306X", width=9, start=999_999_990, end=999_999_999)
    last = submit(api, claim_payload(serial="AH2306X999999999", **contact(1))).json()["reference"]

    second = submit(api, claim_payload(serial="AH2306X999999998", **contact(2)))

    assert second.json()["status"] == "needs_review"
    assert ClaimFlag.objects.get(claim__reference=second.json()["reference"]).detail == (
        f"Serial AH2306X999999999, next to this one, was claimed by another contact (claim {last})."
    )
    assert reasons(last) == {Reason.NEIGHBOURING_SERIALS}


# --- The same document, not byte for byte ---------------------------------------------------------


def test_the_same_receipt_with_a_byte_added_flags_both_claims(api, us_recall):
    first = submit(
        api,
        claim_payload(**contact(1)),
        files={"proof_of_purchase": upload(receipt_pdf("7731"), "r.pdf", "application/pdf")},
    )
    second = submit(
        api,
        claim_payload(serial=recalled_serial(900), **contact(2)),
        files={
            "proof_of_purchase": upload(
                receipt_pdf("7731", tail=b"\n%x", author="Someone else"), "r.pdf", "application/pdf"
            )
        },
    )

    assert second.json()["status"] == "needs_review"
    assert reasons(first.json()["reference"]) == {Reason.DUPLICATE_RECEIPT}
    assert reasons(second.json()["reference"]) == {Reason.DUPLICATE_RECEIPT}
    # each agent reads which claim had it, and that the file differs but the pages do not
    first_ref, second_ref = first.json()["reference"], second.json()["reference"]
    assert ClaimFlag.objects.get(claim__reference=second_ref).detail == (
        f"The same receipt was sent with claim {first_ref} (the same pages, saved differently)."
    )
    assert ClaimFlag.objects.get(claim__reference=first_ref).detail == (
        f"The same receipt was sent with claim {second_ref} (the same pages, saved differently)."
    )


def test_receipts_of_one_shop_for_different_orders_pass(api, us_recall):
    submit(
        api,
        claim_payload(**contact(1)),
        files={"proof_of_purchase": upload(receipt_pdf("7731"), "r.pdf", "application/pdf")},
    )
    second = submit(
        api,
        claim_payload(serial=recalled_serial(900), **contact(2)),
        files={"proof_of_purchase": upload(receipt_pdf("7732"), "r.pdf", "application/pdf")},
    )

    assert second.json()["status"] == "approved"
    assert not ClaimFlag.objects.exists()


def test_a_photo_resized_and_resaved_flags_both_claims(api, us_recall):
    original = photo(1)
    first = submit(api, claim_payload(**contact(1)), files={"product_photo": upload(original)})
    second = submit(
        api,
        claim_payload(serial=recalled_serial(900), **contact(2)),
        files={"product_photo": upload(resaved(original))},
    )

    assert second.json()["status"] == "needs_review"
    assert reasons(first.json()["reference"]) == {Reason.DUPLICATE_PHOTO}
    detail = ClaimFlag.objects.get(claim__reference=second.json()["reference"]).detail
    assert first.json()["reference"] in detail and "near copy" in detail


def test_a_picture_sent_as_a_receipt_is_not_compared_with_photos(api, us_recall):
    """A receipt is a duplicate of receipts and a photo of photos: the same picture sent once as each is
    neither a reused receipt nor a reused photo, so it holds no claim."""
    picture = photo(1)
    submit(api, claim_payload(**contact(1)), files={"proof_of_purchase": upload(picture)})
    second = submit(
        api,
        claim_payload(serial=recalled_serial(900), **contact(2)),
        files={"product_photo": upload(picture)},
    )

    assert second.json()["status"] == "approved"
    assert not ClaimFlag.objects.exists()


def test_different_photos_pass(api, us_recall):
    for n in range(6):
        response = submit(
            api,
            claim_payload(serial=recalled_serial(1000 * n), **contact(n)),
            files={"product_photo": upload(photo(n))},
        )
        assert response.json()["status"] == "approved"
    assert not ClaimFlag.objects.exists()
    assert ClaimDocument.objects.exclude(fingerprint="").count() == 6


# --- A photo is required where the market says so -------------------------------------------------


def test_a_market_that_requires_a_photo_refuses_a_claim_without_one(api, us_recall):
    us_recall.market_rules.filter(country="US").update(product_photo_required=True)

    response = submit(api)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["product_photo"]
    assert not Claim.objects.exists()
    # with the photo it goes through
    assert submit(api, files={"product_photo": upload(photo(1))}).status_code == 201


def test_the_missing_photo_is_told_before_a_422(api, us_recall):
    us_recall.market_rules.filter(country="US").update(product_photo_required=True)

    response = submit(api, claim_payload(serial="AH2307" + "0" * 8 + "42"))

    assert (response.status_code, response.json()["code"]) == (400, "validation_error")


def test_the_market_rule_says_so_in_the_catalogue(api, us_recall):
    us_recall.market_rules.filter(country="US").update(product_photo_required=True)

    rules = api.get("/api/v1/recalls/").json()["results"][0]["market_rules"]

    assert [rule["product_photo_required"] for rule in rules if rule["country"] == "US"] == [True]


# --- The serial on the label ----------------------------------------------------------------------

needs_tesseract = pytest.mark.skipif(
    not label_reading_available(), reason="needs Tesseract (tesseract-ocr): `make` installs it where it can"
)


@needs_tesseract
def test_a_label_showing_the_claimed_serial_is_shown_as_verified(api, us_recall):
    response = submit(api, files={"product_photo": upload(label_photo(recalled_serial(42)))})

    assert response.json()["status"] == "approved"
    document = ClaimDocument.objects.get()
    assert (document.label_check, document.label_serial) == (LabelCheck.VERIFIED, recalled_serial(42))


@needs_tesseract
def test_a_label_showing_another_serial_holds_the_claim(api, us_recall):
    # given a photo of one's own unit, sent with a guessed serial
    response = submit(
        api,
        claim_payload(serial=recalled_serial(777_777)),
        files={"product_photo": upload(label_photo(recalled_serial(42)))},
    )

    assert response.json()["status"] == "needs_review"
    flag = ClaimFlag.objects.get()
    assert flag.reason == Reason.LABEL_SERIAL_DIFFERS
    assert (
        flag.detail
        == f"The label in the photo reads {recalled_serial(42)}; the claim gives {recalled_serial(777_777)}."
    )


@pytest.mark.parametrize(
    ("text", "check", "serial"),
    [
        ("S/N AH23060000644127", LabelCheck.VERIFIED, "AH23060000644127"),
        ("Serial No. AH2306 0000 644127", LabelCheck.VERIFIED, "AH23060000644127"),
        ("S/N AH2306000064 41 27", LabelCheck.VERIFIED, "AH23060000644127"),
        ("S/N AH23O6OOOO644I27", LabelCheck.VERIFIED, "AH23060000644127"),  # O and I for 0 and 1
        ("S/N AH23O6OOOO644IZ7", LabelCheck.VERIFIED, "AH23060000644127"),  # Z read for 2
        ("SN: AH23060000099999", LabelCheck.DIFFERS, "AH23060000099999"),
        ("S/N AH23060000644129", LabelCheck.UNCLEAR, "AH23060000644129"),  # one glyph off: OCR's, shown
        ("Model A1263 PowerCore 10000\nRECALLED", LabelCheck.NOT_READ, ""),
        ("1 A1652 ANKER POWER bank", LabelCheck.NOT_READ, ""),  # words are not a serial
    ],
)
def test_what_a_label_reads(text, check, serial):
    model = ProductModel(model_number="A1263", serial_format="[0-9A-HJ-NP-Z]{16}")

    reading = serial_on_label(text, model=model, claimed="AH23060000644127")

    assert (reading.check, reading.serial) == (check, serial)


@override_settings(LABEL_READING_ENABLED=False)
def test_without_label_reading_the_claim_goes_on_unread(api, us_recall):
    response = submit(
        api,
        claim_payload(serial=recalled_serial(43)),
        files={"product_photo": upload(label_photo(recalled_serial(42)))},
    )

    assert response.json()["status"] == "approved"
    assert ClaimDocument.objects.get().label_check == LabelCheck.UNAVAILABLE
