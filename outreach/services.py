"""Business rules of the recall notices: the known owners they go to."""

from __future__ import annotations

import csv
import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from claims.contacts import email_key
from core.bulk_import import UnreadableText, staging_load, staging_table, text_lines
from core.errors import ApplicationError
from recalls.models import BatchMarket, ProductModel, Recall, RecalledBatch, RecalledSerial, SerialRange
from recalls.services import country_require, serial_require

from .models import KnownOwner

# --- Known owners ---------------------------------------------------------------------------------

OWNERS_HEADER = [
    "name",
    "email",
    "phone",
    "address_line1",
    "city",
    "postal_code",
    "country",
    "model_number",
    "serial",
    "purchased_on",
]
BAD_LINES_KEPT = 100
_STAGING = "known_owner_import_staging"
_STAGING_COLUMNS = [
    ("model_id", "bigint"),
    ("name", "text"),
    ("email", "text"),
    ("phone", "text"),
    ("address_line1", "text"),
    ("city", "text"),
    ("postal_code", "text"),
    ("country", "text"),
    ("serial", "text"),
    ("purchased_on", "date"),
    ("row_key", "text"),
    ("email_key", "text"),
    # Known to be covered: no serial, or one a batch lists. The INSERTs add the ranges' (one condition).
    ("covered", "boolean"),
]
# Kept as written but for these, which a phone number is written with in every country.
_PHONE_SEPARATORS = str.maketrans("", "", " \t-./()")
_MAX_LENGTHS: dict[str, int] = {
    name: cast(int, cast(Field, KnownOwner._meta.get_field(name)).max_length)
    for name in ("name", "email", "phone", "address_line1", "city", "postal_code", "source")
}
# Not looked up yet (None is an answer: not a model of the recall, not a country).
_UNSEEN: Any = object()


class OwnersImportError(Exception):
    """The file as a whole cannot be imported; nothing of it was kept."""


@dataclass(frozen=True)
class OwnersImported:
    imported: int
    # Known already: from an earlier import for the recall, or from an earlier line of the file.
    skipped_known: int
    # Of those imported: the serial is outside every batch recalled in the owner's country.
    not_covered: int
    # (line number, what is wrong): the first BAD_LINES_KEPT of bad_line_count.
    bad_lines: tuple[tuple[int, str], ...]
    bad_line_count: int


class _OwnerRows:
    """The rows of a contacts file, validated and normalised as the staging table takes them.

    Reads the header when made (a wrong one raises before anything is written); then yields one row per
    good line and records the bad ones with their line numbers (the header is line 1).
    """

    def __init__(self, lines: Iterable[bytes], models: dict[str, ProductModel], recall: Recall) -> None:
        self.reader = csv.reader(text_lines(lines))
        self.recall = recall
        self.models = models
        self.bad: list[tuple[int, str]] = []
        self.bad_count = 0
        try:
            header = next(self.reader, None)
        except (csv.Error, UnreadableText) as exc:
            raise OwnersImportError(self._malformed(exc)) from None
        expected = ",".join(OWNERS_HEADER)
        if header is None:
            raise OwnersImportError(f"The file is empty: its first line must be the header {expected}.")
        if [cell.strip().lower() for cell in header] != OWNERS_HEADER:
            found = ",".join(header)[:200]
            raise OwnersImportError(f"The first line must be the header {expected}, not {found!r}.")

    def _malformed(self, exc: Exception) -> str:
        if isinstance(exc, UnreadableText):
            return str(exc)
        return f"Line {self.reader.line_num}: the CSV is malformed ({exc})."

    def reject(self, line: int, message: str) -> None:
        self.bad_count += 1
        if len(self.bad) < BAD_LINES_KEPT:
            self.bad.append((line, message))

    def __iter__(self) -> Iterator[tuple]:
        try:
            yield from self._rows()
        except (csv.Error, UnreadableText) as exc:
            raise OwnersImportError(self._malformed(exc)) from None

    def _rows(self) -> Iterator[tuple]:
        # Each distinct model number and country is checked once: a file has a handful of each.
        model_for: dict[str, ProductModel | None] = {}
        country_for: dict[str, str | None] = {}
        columns = len(OWNERS_HEADER)
        limits = _MAX_LENGTHS
        for row in self.reader:
            if len(row) != columns:
                if any(cell.strip() for cell in row):
                    self.reject(self.reader.line_num, f"{len(row)} columns, expected {columns}")
                continue
            name, email, phone, address, city, postal, country_raw, model_raw, serial_raw, bought = row
            model = model_for.get(model_raw, _UNSEEN)
            if model is _UNSEEN:
                model = model_for[model_raw] = self.models.get(model_raw.strip().upper())
            country = country_for.get(country_raw, _UNSEEN)
            if country is _UNSEEN:
                country = country_for[country_raw] = self._country(country_raw)
            if model is None or country is None:
                if any(cell.strip() for cell in row):
                    self.reject(self.reader.line_num, self._model_or_country(model, model_raw, country_raw))
                continue
            name, address, city = " ".join(name.split()), " ".join(address.split()), " ".join(city.split())
            email = email.strip().lower()
            phone = phone.translate(_PHONE_SEPARATORS)
            postal = " ".join(postal.split()).upper()
            serial = ""
            if serial_raw.strip():
                try:
                    serial = serial_require(model=model, serial=serial_raw)
                except ApplicationError:
                    message = f"serial {serial_raw.strip()[:40]!r} is not a serial number of model "
                    self.reject(self.reader.line_num, message + model.model_number)
                    continue
            bought = bought.strip()
            purchased_on = None
            if bought:
                try:
                    purchased_on = datetime.date.fromisoformat(bought)
                except ValueError:
                    self.reject(
                        self.reader.line_num, f"purchased_on {bought[:40]!r} is not a date (YYYY-MM-DD)"
                    )
                    continue
            if (
                len(name) > limits["name"]
                or len(email) > limits["email"]
                or len(phone) > limits["phone"]
                or len(address) > limits["address_line1"]
                or len(city) > limits["city"]
                or len(postal) > limits["postal_code"]
            ):
                self.reject(self.reader.line_num, self._too_long(name, email, phone, address, city, postal))
                continue
            # NUL separates the key's parts: no text field may hold one (nor can PostgreSQL store it).
            key_text = "\0".join((model.model_number, serial, email, phone, address, postal, country, name))
            if key_text.count("\0") != 7 or "\0" in city:
                self.reject(self.reader.line_num, "contains a NUL character")
                continue
            yield (  # as _STAGING_COLUMNS
                model.pk,
                name,
                email,
                phone,
                address,
                city,
                postal,
                country,
                serial,
                purchased_on,
                hashlib.sha256(key_text.encode()).hexdigest(),
                email_key(email) if email else "",
                not serial,
            )

    @staticmethod
    def _country(raw: str) -> str | None:
        try:
            return country_require(country=raw)
        except ApplicationError:
            return None

    def _model_or_country(self, model: ProductModel | None, model_raw: str, country_raw: str) -> str:
        if model is None:
            return f"model_number {model_raw.strip()[:40]!r} is not a model of recall {self.recall.code}"
        return f"country {country_raw.strip()[:40]!r} is not an ISO 3166-1 alpha-2 country code"

    @staticmethod
    def _too_long(*values: str) -> str:
        for (field, limit), value in zip(_MAX_LENGTHS.items(), values, strict=False):
            if len(value) > limit:
                return f"{field} is longer than {limit} characters"
        raise AssertionError("no value is too long")


def _owner_import_tables() -> dict[str, str]:
    return {
        "staging": _STAGING,
        "owner": KnownOwner._meta.db_table,
        "serial": RecalledSerial._meta.db_table,
        "batch": RecalledBatch._meta.db_table,
        "market": BatchMarket._meta.db_table,
        "recall": Recall._meta.db_table,
    }


def _cover_listed_owners(cursor: Any, models: Iterable[ProductModel]) -> None:
    """Mark the staged owners whose serial a batch of an active recall sold in their country lists."""
    if not RecalledSerial.objects.filter(model__in=list(models)).exists():
        return
    tables = _owner_import_tables()
    cursor.execute(
        f"""
        UPDATE {tables["staging"]} SET covered = %s
        WHERE NOT covered AND EXISTS (
            SELECT 1 FROM {tables["serial"]} s
            JOIN {tables["batch"]} b ON b.id = s.batch_id
            JOIN {tables["recall"]} r ON r.id = b.recall_id
            JOIN {tables["market"]} m ON m.batch_id = b.id
            WHERE s.model_id = {tables["staging"]}.model_id AND s.serial = {tables["staging"]}.serial
              AND m.country = {tables["staging"]}.country AND r.active = %s
        )
        """,  # noqa: S608 - table names are the models' own; every value is a parameter
        [True, True],
    )


def _in_covering_range(models: Iterable[ProductModel]) -> tuple[str, list]:
    """The SQL condition that a staged owner's serial is in a range of a batch of an active recall sold
    in their country, and its parameters.

    A serial is in a range when it is the range's prefix followed by ``width`` digits between its start
    and its end, as ``recalls.selectors.batch_covering_serial`` reads it: compared here as text, against
    the range's first and last serial, so that no cast of a serial to a number can fail.
    """
    ranges = SerialRange.objects.filter(batch__model__in=list(models), batch__recall__active=True)
    markets: dict[int, set[str]] = {}
    for batch_id, country in BatchMarket.objects.filter(batch__ranges__in=ranges).values_list(
        "batch_id", "country"
    ):
        markets.setdefault(batch_id, set()).add(country)
    conditions, params = [], []
    for batch_id, model_id, prefix, width, start, end in ranges.values_list(
        "batch_id", "batch__model_id", "prefix", "width", "start", "end"
    ).distinct():
        countries = sorted(markets.get(batch_id, ()))
        # A range's numbers have ``width`` digits: one that starts past them covers nothing.
        if not countries or width < 1 or start >= 10**width:
            continue
        first = f"{prefix}{start:0{width}d}"
        last = f"{prefix}{min(end, 10**width - 1):0{width}d}"
        conditions.append(
            f"(model_id = %s AND country IN ({', '.join(['%s'] * len(countries))}) AND length(serial) = %s"
            " AND serial BETWEEN %s AND %s AND substr(serial, 1, %s) = %s"
            " AND ltrim(substr(serial, %s), '0123456789') = '')"
        )
        params += [model_id, *countries, len(first), first, last, len(prefix), prefix, len(prefix) + 1]
    return " OR ".join(conditions) or "1 = 0", params


def _insert_staged_owners(
    cursor: Any, *, recall: Recall, source: str, covered: bool, ranged: tuple[str, list]
) -> int:
    """The staged owners (covered or not) the recall does not know yet; sorted by key, so the unique
    index grows at its end. The number inserted."""
    tables = _owner_import_tables()
    columns = [name for name, _type in _STAGING_COLUMNS if name != "covered"]
    imported_at = connection.ops.adapt_datetimefield_value(timezone.now())
    in_range, range_params = ranged
    cursor.execute(
        f"INSERT INTO {tables['owner']} (recall_id, source, email_bounced, imported_at, covered, {', '.join(columns)}) "  # noqa: S608
        f"SELECT %s, %s, %s, %s, %s, {', '.join(columns)} FROM {tables['staging']} "
        f"WHERE {'' if covered else 'NOT '}(covered OR {in_range}) ORDER BY row_key "
        "ON CONFLICT (recall_id, row_key) DO NOTHING",
        [recall.pk, source, False, imported_at, covered, *range_params],
    )
    return cursor.rowcount


def owners_import(*, recall: Recall, source: str, lines: Iterable[bytes]) -> OwnersImported:
    """Import the known owners of a contacts file (``lines``: a binary file or its lines) for ``recall``.

    The header must be ``OWNERS_HEADER``. Rows already known for the recall (the same normalised model,
    serial, e-mail, phone, street, postal code, country and name) are skipped, so importing a file again
    imports nothing. Bad lines are reported with their numbers and left out; anything that stops the
    file as a whole (its header, its encoding, malformed CSV) raises ``OwnersImportError`` and leaves
    nothing behind. Streams: memory does not grow with the file.
    """
    if len(source) > _MAX_LENGTHS["source"]:
        raise OwnersImportError(f"The source's name is longer than {_MAX_LENGTHS['source']} characters.")
    models = {model.model_number: model for model in recall.models.all()}
    if not models:
        raise OwnersImportError(f"Recall {recall.code} has no models yet: its batches name them.")
    rows = _OwnerRows(lines, models, recall)
    with transaction.atomic(), staging_table(_STAGING, ", ".join(map(" ".join, _STAGING_COLUMNS))) as cursor:
        staged = staging_load(cursor, _STAGING, [name for name, _type in _STAGING_COLUMNS], rows)
        _cover_listed_owners(cursor, models.values())
        ranged = _in_covering_range(models.values())
        covered = _insert_staged_owners(cursor, recall=recall, source=source, covered=True, ranged=ranged)
        not_covered = _insert_staged_owners(
            cursor, recall=recall, source=source, covered=False, ranged=ranged
        )
    return OwnersImported(
        imported=covered + not_covered,
        skipped_known=staged - covered - not_covered,
        not_covered=not_covered,
        bad_lines=tuple(rows.bad),
        bad_line_count=rows.bad_count,
    )
