"""A generated day of claims, honest and farmed: how many farmed claims each fraud check catches, and how
many honest ones it holds for an agent.

    .venv/bin/python bench/fraud.py [--honest 10000] [--farmed 200] [--seed 1]

Every claim goes through the real intake (``claims.services.claim_submit``: uploads decoded and
re-encoded, fingerprints, the label read by Tesseract, the checks in the claim's transaction) on the
demo programme, in a fresh embedded database of its own (SQLite in a temporary folder), remedies issued
inline as the worker would. The day, in the order the claims arrive (farmed ones mixed in at random):

- honest: customers of their own across the demo's US, DE and JP markets, random recalled serials,
  a few households claiming two units with nearby serials; US claims carry a photo of the unit's label
  showing its serial (each its own background, angle and size); one claim in seven a receipt, as a PDF
  from one of three shops' templates (order numbers of their own) or a phone photo of a paper receipt.
- farmed, by technique: ``consecutive`` (the serials after one seen, each with its own e-mail and
  address; US ones with the farmer's one photo re-saved), ``contact variants`` (one mailbox and door
  written as plus-tags, dots, case, "St."/"Street"), ``receipt copies`` (one receipt PDF with a byte
  added or its metadata changed), ``photo copies`` (one label photo resized and re-saved, guessed
  serials), ``own label`` (a photo of one's own unit sent with a guessed serial).

Printed: per check, the farmed claims it flagged (of all, and per technique) and the honest ones it
held; farmed claims caught by any check, and those paid before an agent could look; honest claims held.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFont

ROOT = Path(__file__).resolve().parent.parent

# (model number, serial prefix, numbers in its range, country, remedy): the demo's batches and markets.
HONEST_MARKETS = [
    ("A1263", "AH2306", 1_000_000, "US", "gift_card"),
    ("A1257", "AK2401", 300_000, "US", "gift_card"),
    ("A1647", "AK2402", 300_000, "US", "replacement"),
    ("A1652", "AM2403", 200_000, "US", "gift_card"),
    ("A1263", "AH2306", 1_000_000, "DE", "refund"),
    ("A1681", "AZ2404", 150_000, "DE", "replacement"),
    ("A1689", "AZ2405", 150_000, "DE", "refund"),
    ("A1263", "AJ2310", 200_000, "JP", "replacement"),
    ("A3117", "SJ2311", 100_000, "JP", "replacement"),
]
WIDTH = 10
STREETS = ["Oak", "Maple", "Cedar", "Pine", "Elm", "Birch", "Willow", "Ash", "Spruce", "Hickory"]
SUFFIXES = ["Street", "Avenue", "Road", "Lane", "Drive", "Court"]
SHOPS = ["ELECTRO MART", "POWER WORLD", "GADGET HUB"]
TECHNIQUES = ["consecutive", "contact variants", "receipt copies", "photo copies", "own label"]


@dataclass
class Planned:
    """One claim of the day: what is sent, and who sends it."""

    fields: dict
    honest: bool
    technique: str = ""
    photo: bytes | None = None
    receipt: tuple[bytes, str] | None = None  # content, content type
    reference: str = ""
    answer: str = ""  # status, or the error code
    extra: dict = field(default_factory=dict)


# --- Files ----------------------------------------------------------------------------------------


def label_photo(rng: random.Random, serial: str, model: str) -> bytes:
    """A phone photo of the unit's label: a background, the label at an angle, RECALLED on it."""
    width, height = rng.choice([(800, 600), (960, 720), (1024, 768), (720, 960)])
    background = tuple(rng.randrange(40, 200) for _ in range(3))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(3, 9)):  # the table, a cable, a hand
        x, y = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x, y, x + rng.randrange(60, 400), y + rng.randrange(60, 400)), fill=colour)
    size = rng.randrange(28, 38)
    font = ImageFont.load_default(size=size)
    left, top = rng.randrange(20, 80), rng.randrange(40, 160)
    draw.rectangle((left, top, width - rng.randrange(20, 80), top + size * 8), fill=(238, 238, 232))
    draw.text((left + 30, top + size), f"Model {model}  Anker power bank", font=font, fill=(25, 25, 25))
    draw.text((left + 30, top + size * 3), f"S/N {serial}", font=font, fill=(25, 25, 25))
    draw.text((left + 30, top + size * 5), "RECALLED", font=font, fill=(180, 20, 20))
    image = image.rotate(rng.uniform(-4, 4), fillcolor=background)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rng.randrange(80, 95))
    return out.getvalue()


def resaved(jpeg: bytes, rng: random.Random) -> bytes:
    """The same photo as a farmer re-sends it: resized, a little brighter or darker, recompressed."""
    image = Image.open(io.BytesIO(jpeg))
    scale = rng.uniform(0.7, 1.0)
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.9, 1.1))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rng.randrange(60, 90))
    return out.getvalue()


def receipt_pdf(shop: str, order: str, lines: list[str], *, author: str = "shop", tail: bytes = b"") -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=420)
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
    text = [f"BT /F1 14 Tf 30 380 Td ({shop}) Tj ET", f"BT /F1 10 Tf 30 355 Td (Order {order}) Tj ET"]
    for n, line in enumerate(lines):
        text.append(f"BT /F1 10 Tf 30 {320 - 16 * n} Td ({line}) Tj ET")
    content = DecodedStreamObject()
    content.set_data("\n".join(text).encode())
    page.replace_contents(content)
    writer.add_metadata({"/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue() + tail


def receipt_lines(rng: random.Random, model: str) -> list[str]:
    items = [f"Anker power bank {model}   {rng.uniform(25, 60):.2f}"]
    for _ in range(rng.randrange(0, 4)):
        items.append(
            f"{rng.choice(['USB-C cable', 'Charger 20W', 'Phone case', 'Screen film'])}   {rng.uniform(5, 30):.2f}"
        )
    items.append(f"TOTAL   {rng.uniform(30, 150):.2f}")
    return items


def receipt_photo(rng: random.Random, model: str) -> bytes:
    """A paper receipt photographed on a table."""
    image = Image.new("RGB", (900, 1200), tuple(rng.randrange(60, 160) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    left, top = rng.randrange(80, 200), rng.randrange(60, 200)
    draw.rectangle((left, top, left + 560, top + 900), fill=(245, 243, 236))
    font = ImageFont.load_default(size=26)
    y = top + 40
    for line in [rng.choice(SHOPS), f"Order {rng.randrange(10**7)}", *receipt_lines(rng, model)]:
        draw.text((left + 30, y), line, font=font, fill=(30, 30, 30))
        y += 44
    image = image.rotate(rng.uniform(-6, 6))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


# --- The day --------------------------------------------------------------------------------------


class Day:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[tuple[str, str]] = set()
        self.people = 0

    def serial(self, model: str, prefix: str, size: int, number: int | None = None) -> str:
        while True:
            n = self.rng.randrange(size) if number is None else number
            serial = f"{prefix}{n:0{WIDTH}d}"
            if (model, serial) not in self.used or number is not None:
                self.used.add((model, serial))
                return serial

    def contact(self) -> dict:
        self.people += 1
        n, rng = self.people, self.rng
        first = rng.choice(["alex", "sam", "kim", "lee", "maria", "yuki", "jonas", "anna", "omar", "li"])
        return {
            "name": f"{first.title()} Customer{n}",
            "email": f"{first}.{n}@mail{rng.randrange(9)}.example",
            "address_line1": f"{rng.randrange(1, 999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}",
            "city": "Springfield",
            "postal_code": f"{rng.randrange(10000, 99999)}",
        }

    def claim(self, market, *, contact: dict, serial: str, honest: bool, technique: str = "") -> Planned:
        model, _prefix, _size, country, remedy = market
        fields = {"model_number": model, "country": country, "remedy": remedy, "serial": serial, **contact}
        return Planned(fields=fields, honest=honest, technique=technique)

    def honest(self, count: int) -> list[Planned]:
        planned: list[Planned] = []
        while len(planned) < count:
            market = self.rng.choice(HONEST_MARKETS)
            model, prefix, size, country, _remedy = market
            person = self.contact()
            first = self.claim(market, contact=person, serial=self.serial(model, prefix, size), honest=True)
            household = [first]
            if self.rng.random() < 0.03:  # two units bought together: nearby serials, one household
                number = int(first.fields["serial"][-WIDTH:]) + self.rng.randrange(1, 6)
                household.append(
                    self.claim(
                        market, contact=person, serial=self.serial(model, prefix, size, number), honest=True
                    )
                )
            for claim in household:
                if country == "US":
                    claim.photo = label_photo(self.rng, claim.fields["serial"], model)
                if self.rng.random() < 1 / 7:
                    if self.rng.random() < 0.6:
                        pdf = receipt_pdf(
                            self.rng.choice(SHOPS),
                            str(self.rng.randrange(10**8)),
                            receipt_lines(self.rng, model),
                        )
                        claim.receipt = (pdf, "application/pdf")
                    else:
                        claim.receipt = (receipt_photo(self.rng, model), "image/jpeg")
            planned.extend(household)
        return planned[:count]

    def farmed(self, count: int) -> list[Planned]:
        rng, out = self.rng, []
        us, de = HONEST_MARKETS[0], HONEST_MARKETS[4]
        per_technique = {
            name: count * share // 100 for name, share in zip(TECHNIQUES, [25, 20, 15, 15, 25], strict=True)
        }
        per_technique["own label"] += count - sum(per_technique.values())

        # consecutive: the serials after one the farmer has seen, five contacts; in the US with one photo
        left = per_technique["consecutive"]
        while left > 0:
            market = us if rng.random() < 0.4 else de
            model, prefix, size, _country, _ = market
            start = rng.randrange(size - 10)
            own = label_photo(rng, f"{prefix}{start:0{WIDTH}d}", model) if market is us else None
            for k in range(1, min(5, left) + 1):
                claim = self.claim(
                    market,
                    contact=self.contact(),
                    serial=self.serial(model, prefix, size, start + k),
                    honest=False,
                    technique="consecutive",
                )
                claim.photo = resaved(own, rng) if own else None
                out.append(claim)
                left -= 1

        # contact variants: one mailbox and one door, written four ways; random serials (DE: no photo)
        left = per_technique["contact variants"]
        while left > 0:
            model, prefix, size, _country, _ = de
            person = self.contact()
            local, domain = person["email"].split("@")
            number, street = person["address_line1"].split(" ", 1)
            emails = [f"{local}+{k}@{domain}" for k in range(1, 3)] + [
                f"{local.upper()}+x@{domain}",
                f"{local}@{domain.upper()}",
            ]
            doors = [
                person["address_line1"],
                f"{number}, {street.replace('Street', 'St.').replace('Avenue', 'Ave').replace('Road', 'Rd.')}",
                person["address_line1"].upper(),
                f"{number} {street.lower()}",
            ]
            for k in range(min(4, left)):
                contact = {
                    **person,
                    "email": emails[k],
                    "address_line1": doors[(k + 1) % 4],
                    "name": f"{person['name']} {k}",
                }
                if k % 2:  # now the e-mail, now the address is the one that varies
                    contact["address_line1"] = f"{rng.randrange(1, 999)} Other Road"
                out.append(
                    self.claim(
                        de,
                        contact=contact,
                        serial=self.serial(model, prefix, size),
                        honest=False,
                        technique="contact variants",
                    )
                )
                left -= 1

        # receipt copies: one receipt PDF, a byte added or its metadata changed, with random serials
        left = per_technique["receipt copies"]
        while left > 0:
            model, prefix, size, _country, _ = de
            lines = receipt_lines(rng, model)
            order = str(rng.randrange(10**8))
            for k in range(min(3, left)):
                pdf = receipt_pdf(SHOPS[0], order, lines, author=f"copy {k}", tail=b"%" * k)
                claim = self.claim(
                    de,
                    contact=self.contact(),
                    serial=self.serial(model, prefix, size),
                    honest=False,
                    technique="receipt copies",
                )
                claim.receipt = (pdf, "application/pdf")
                out.append(claim)
                left -= 1

        # photo copies: one label photo, resized and re-saved, with guessed serials
        left = per_technique["photo copies"]
        while left > 0:
            model, prefix, size, _country, _ = us
            own = label_photo(rng, self.serial(model, prefix, size), model)
            for _k in range(min(3, left)):
                claim = self.claim(
                    us,
                    contact=self.contact(),
                    serial=self.serial(model, prefix, size),
                    honest=False,
                    technique="photo copies",
                )
                claim.photo = resaved(own, rng)
                out.append(claim)
                left -= 1

        # own label: a photo of one's own unit (not recalled, or already claimed) with a guessed serial
        for _ in range(per_technique["own label"]):
            model, prefix, size, _country, _ = us
            claim = self.claim(
                us,
                contact=self.contact(),
                serial=self.serial(model, prefix, size),
                honest=False,
                technique="own label",
            )
            claim.photo = label_photo(rng, f"{prefix}{rng.randrange(size):0{WIDTH}d}", model)
            out.append(claim)
        return out


# --- Run ------------------------------------------------------------------------------------------


def setup(var_dir: Path) -> None:
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.fraud_settings"
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "AWS_STORAGE_BUCKET_NAME"):
        os.environ.pop(name, None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", stdout=io.StringIO())


def submit(planned: Planned) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from claims.services import ClaimSubmission, claim_submit
    from core.errors import ApplicationError

    files = {}
    if planned.photo is not None:
        files["product_photo"] = SimpleUploadedFile("photo.jpg", planned.photo, content_type="image/jpeg")
    if planned.receipt is not None:
        content, content_type = planned.receipt
        files["proof_of_purchase"] = SimpleUploadedFile("receipt", content, content_type=content_type)
    try:
        submitted = claim_submit(submission=ClaimSubmission(**planned.fields, **files))
    except ApplicationError as error:
        planned.answer = error.code
        return
    planned.reference, planned.answer = submitted.claim.reference, submitted.claim.status


def report(day: list[Planned], seconds: float) -> None:
    from django.db.models import Count

    from claims.models import Claim, ClaimDocument, ClaimFlag

    flags: dict[str, set[str]] = defaultdict(set)
    for reference, reason in ClaimFlag.objects.values_list("claim__reference", "reason"):
        flags[reference].add(reason)
    statuses = dict(Claim.objects.values_list("reference", "status"))
    taken = [p for p in day if p.reference]
    honest = [p for p in taken if p.honest]
    farmed = [p for p in taken if not p.honest]
    refused = Counter(p.answer for p in day if not p.reference)

    print(
        f"\n{len(day):,} claims sent in {seconds:.0f} s ({len(day) / seconds:.1f} claims/s through the whole intake)"
    )
    print(f"taken: {len(honest):,} honest, {len(farmed):,} farmed; refused: {dict(refused) or 'none'}")
    labels = Counter(ClaimDocument.objects.filter(kind="product_photo").values_list("label_check", flat=True))
    print(f"label photos read: {dict(labels)}")

    by_technique = Counter(p.technique for p in farmed)
    print(f"\n{'check':<28}{'farmed caught':>16}{'honest held':>16}   farmed caught per technique")
    for reason in ClaimFlag.Reason:
        caught = [p for p in farmed if reason.value in flags[p.reference]]
        held = [p for p in honest if reason.value in flags[p.reference]]
        per = Counter(p.technique for p in caught)
        techniques = ", ".join(f"{t} {per[t]}/{by_technique[t]}" for t in TECHNIQUES if per[t])
        print(
            f"{reason.value:<28}{len(caught):>9} ({len(caught) / max(len(farmed), 1):4.0%})"
            f"{len(held):>9} ({len(held) / max(len(honest), 1):5.1%})   {techniques}"
        )
    caught = [p for p in farmed if flags[p.reference]]
    held = [p for p in honest if flags[p.reference]]
    print(
        f"{'any check':<28}{len(caught):>9} ({len(caught) / max(len(farmed), 1):4.0%})"
        f"{len(held):>9} ({len(held) / max(len(honest), 1):5.1%})"
    )
    details = ClaimFlag.objects.filter(claim__reference__in=[p.reference for p in held]).values_list(
        "reason", "detail"
    )
    print("why honest claims were held (a sample):")
    for reason, detail in list(details)[:8]:
        print(f"  {reason}: {detail}")
    paid = [p for p in farmed if statuses[p.reference] in ("fulfilling", "fulfilled")]
    awaiting = [p for p in farmed if statuses[p.reference] in ("approved", "awaiting_disposal")]
    print(
        f"\nfarmed claims paid before an agent could look: {len(paid)} "
        f"({', '.join(f'{t} {n}' for t, n in Counter(p.technique for p in paid).items()) or 'none'}); "
        f"approved but not yet paid (DE waits for the unit at a recycling centre): {len(awaiting)}"
    )
    review = Counter(statuses[p.reference] for p in honest)
    proof_only = sum(1 for p in honest if not p.fields["serial"])
    print(
        f"honest claims by status: {dict(review)} ({proof_only} proof-only, which always wait for an agent)"
    )
    print(
        f"flags recorded: {dict(ClaimFlag.objects.values_list('reason').annotate(n=Count('id')).values_list('reason', 'n'))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--honest", type=int, default=10_000)
    parser.add_argument("--farmed", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fraud-bench-") as var_dir:
        setup(Path(var_dir))
        from claims.labels import label_reading_available

        print(
            f"Embedded database in {var_dir}; label reading {'on' if label_reading_available() else 'OFF (no Tesseract model)'}"
        )
        rng = random.Random(args.seed)
        day = Day(rng)
        started = time.perf_counter()
        planned = day.honest(args.honest)
        farmed = day.farmed(args.farmed)
        for claim in farmed:  # mixed in at random moments of the day
            planned.insert(rng.randrange(len(planned) + 1), claim)
        print(f"Generated {len(planned):,} claims and their files in {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        for n, claim in enumerate(planned, 1):
            submit(claim)
            if n % 1000 == 0:
                print(f"  {n:,} sent, {n / (time.perf_counter() - started):.1f}/s", flush=True)
        report(planned, time.perf_counter() - started)


if __name__ == "__main__":
    main()
