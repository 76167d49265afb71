"""A demo campaign of recall notices: thirty known owners of the A1263 recall in the US, as a retailer's
order file would give them, and the US campaign started, so that ``make run``'s worker sends its first
wave (e-mails to ``var/mail/``; SMS owed to the provider for owners without an e-mail)."""

import datetime
import hashlib

from claims.contacts import email_key
from recalls.models import ProductModel, Recall
from recalls.selectors import batch_covering_serial

from .models import Campaign, KnownOwner
from .services import campaign_start

RECALL = "ANKER-2025-06-A1263"
COUNTRY = "US"
OWNERS = 30
OWNERS_EMAIL_DOMAIN = "owners.demo.example.com"
SOURCE = "DEMO retailer order file"
CITIES = [("Springfield", "62701"), ("Portland", "97201"), ("Austin", "78701"), ("Columbus", "43215")]
NO_EMAIL = {7, 14, 21, 28}  # reached by SMS instead
NO_SERIAL = {10, 20}  # the order file does not say: the link opens the serial check unfilled
# Sold by the retailer, but the serial is in no recalled batch: kept, never notified.
NOT_COVERED = {30: "AH23070000000030"}


def _serial(n: int) -> str:
    if n in NO_SERIAL:
        return ""
    # Far from the serials the README and the tests use, ten apart (neighbours are held for review).
    return NOT_COVERED.get(n, f"AH2306{900_000 + n * 10:010d}")


def _row_key(fields: dict) -> str:
    # The row as imported, normalised and hashed: a row known already is not added twice.
    return hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()


def _owners(recall: Recall, model: ProductModel) -> int:
    made = 0
    for n in range(1, OWNERS + 1):
        city, postal_code = CITIES[n % len(CITIES)]
        fields = {
            "name": f"Demo owner {n:02d}",
            "email": "" if n in NO_EMAIL else f"owner{n:02d}@{OWNERS_EMAIL_DOMAIN}",
            "phone": f"+1202555{100 + n:04d}",  # 555-01xx: numbers set aside for fiction
            "address_line1": f"{n} Demo Street",
            "city": city,
            "postal_code": postal_code,
            "country": COUNTRY,
            "serial": _serial(n),
        }
        fields["email_key"] = email_key(fields["email"]) if fields["email"] else ""
        covered = not fields["serial"] or (
            batch_covering_serial(model=model, serial=fields["serial"], country=COUNTRY) is not None
        )
        _owner, created = KnownOwner.objects.get_or_create(
            recall=recall,
            row_key=_row_key(fields),
            defaults={
                **fields,
                "model": model,
                "source": SOURCE,
                "purchased_on": datetime.date(2023, 7, 1) + datetime.timedelta(days=11 * n),
                "covered": covered,
            },
        )
        made += created
    return made


def load() -> str:
    recall = Recall.objects.get(code=RECALL)
    model = ProductModel.objects.get(model_number="A1263")
    made = _owners(recall, model)
    if Campaign.objects.filter(recall=recall, country=COUNTRY).exists():
        return f"{made} new demo owners, demo campaign kept"
    # Its first wave is sent by the worker once load_demo commits.
    campaign_start(recall=recall, country=COUNTRY, is_demo=True)
    return f"{made} new demo owners, demo campaign {recall.code} {COUNTRY} started"
