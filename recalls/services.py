"""Business rules of the recall catalogue: eligibility of a serial and the bulk import of serials."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.bulk_import import UnreadableText, staging_table, text_lines, text_start
from core.errors import ApplicationError

from . import extensions
from .countries import is_country, normalise_country
from .models import BatchMarket, MarketRule, ProductModel, Recall, RecalledBatch, RecalledSerial
from .selectors import CoveringRecall, RecalledElsewhere, SerialLookup, product_model_get, serial_lookup
from .serials import MAX_SERIAL_LENGTH, SERIAL_CHARACTERS, normalise_serial

# --- Eligibility ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SerialCheck:
    recalled: bool
    model: ProductModel
    serial: str
    country: str
    recall: CoveringRecall | None = None
    market_rule: MarketRule | None = None
    # Not recalled here, but one of the units recalled in other countries: still dangerous.
    recalled_elsewhere: tuple[RecalledElsewhere, ...] = ()

    @property
    def remedies(self) -> list[str]:
        return self.market_rule.remedies if self.market_rule else []

    @property
    def claims_open(self) -> bool:
        """A recalled unit can still be claimed: its recall's claim deadline has not passed."""
        return self.recall is not None and self.recall.claims_open()


def product_model_require(*, model_number: str) -> ProductModel:
    return _model_known(product_model_get(model_number=model_number), model_number=model_number)


def _model_known(model: ProductModel | None, *, model_number: str) -> ProductModel:
    if model is None:
        raise ApplicationError.invalid_fields(
            {"model_number": [_("Unknown model number %(model)s.") % {"model": repr(model_number)}]}
        )
    return model


def country_require(*, country: str) -> str:
    code = normalise_country(country)
    if not is_country(code):
        raise ApplicationError.invalid_fields(
            {
                "country": [
                    _("%(country)s is not an ISO 3166-1 alpha-2 country code.") % {"country": repr(country)}
                ]
            }
        )
    return code


def serial_require(*, model: ProductModel, serial: str) -> str:
    """The normalised serial, or ``invalid_serial`` if it cannot be one of this model's."""
    normalised = normalise_serial(serial)
    if not _serial_shaped(normalised) or not model.accepts_serial(normalised):
        raise _invalid_serial(model)
    return normalised


def _serial_shaped(normalised: str) -> bool:
    """Could be a serial of some model: what a lookup needs before the model is known."""
    return len(normalised) <= MAX_SERIAL_LENGTH and SERIAL_CHARACTERS.fullmatch(normalised) is not None


def _invalid_serial(model: ProductModel) -> ApplicationError:
    return ApplicationError(
        "invalid_serial",
        _("This cannot be a serial number of model %(model)s.") % {"model": model.model_number},
        fields={"serial": [_("Check the serial number on the unit's label.")]},
    )


def serial_lookup_require(
    *, model_number: str, serial: str, country: str, serial_required: bool = True
) -> tuple[SerialLookup, str, str]:
    """The lookup of a unit in one statement, with the serial ("" if none was given and none is
    required) and the country normalised; the errors in the order the API promises: an unknown model,
    then the country, then the serial."""
    normalised, code = normalise_serial(serial), normalise_country(country)
    shaped = _serial_shaped(normalised)
    lookup = serial_lookup(model_number=model_number, serial=normalised if shaped else "", country=code)
    model = _model_known(lookup.model, model_number=model_number)
    country_require(country=country)
    if (serial_required or normalised) and (not shaped or not model.accepts_serial(normalised)):
        raise _invalid_serial(model)
    return lookup, normalised, code


def serial_check(*, model_number: str, serial: str, country: str) -> SerialCheck:
    """Is this unit recalled for a customer in this country, and what is on offer?"""
    lookup, normalised, country = serial_lookup_require(
        model_number=model_number, serial=serial, country=country
    )
    model, coverage = cast(ProductModel, lookup.model), lookup.coverage
    if coverage is None:
        result = SerialCheck(
            recalled=False,
            model=model,
            serial=normalised,
            country=country,
            recalled_elsewhere=lookup.elsewhere,
        )
    else:
        result = SerialCheck(
            recalled=True,
            model=model,
            serial=normalised,
            country=country,
            recall=coverage.recall,
            market_rule=coverage.market_rule,
        )
    for checked in extensions.serial_checked:
        checked(result)
    return result


# --- Bulk import of recalled serials --------------------------------------------------------------


class SerialImportError(Exception):
    """The file as a whole cannot be imported; nothing of it was kept."""


@dataclass
class RejectedLine:
    line: int
    text: str
    reason: str


@dataclass
class SerialImportReport:
    batch: RecalledBatch
    read: int = 0
    imported: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    rejected_count: int = 0
    seconds: float = 0.0

    @property
    def already_listed(self) -> int:
        return self.read - self.imported

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0


REJECTIONS_KEPT = 1000
_CHUNK_BYTES = 1 << 20
# The advisory lock class of serial imports: with the model's id, the lock imports of a model take turns on.
_IMPORT_TURNS = 7301


def _normalising_table() -> bytes:
    """bytes.translate table doing on raw bytes what normalise_serial does on text."""
    table = bytearray(range(256))
    for b in range(ord("a"), ord("z") + 1):
        table[b] = b - 32
    for letter, digit in ((b"O", b"0"), (b"I", b"1")):
        table[letter[0]] = digit[0]
        table[letter[0] + 32] = digit[0]
    return bytes(table)


_TABLE = _normalising_table()
_DELETE = b" \t\r\v\f-"
_BLANK_LINES = re.compile(rb"\n{2,}")


class _SerialReader:
    """Streams a file of serials as normalised, validated ``\\n``-separated chunks.

    Plain files (one serial a line, optionally under a ``serial`` header) are checked a megabyte at a
    time with one regular expression; CSV files with several columns go row by row. Bad lines are
    recorded with their line numbers and left out; a file that is not UTF-8 text raises.
    """

    def __init__(self, source: BinaryIO, model: ProductModel, report: SerialImportReport) -> None:
        self.source = source
        self.model = model
        self.report = report
        good = rf"(?=[0-9A-Z]{{1,{MAX_SERIAL_LENGTH}}}$)(?:{model.serial_format})$"
        self.good_line = re.compile(good.encode())
        self.bad_line = re.compile(rb"^(?!" + good.encode() + rb")[^\n]+", re.MULTILINE)

    def reject(self, line: int, text: str, reason: str) -> None:
        self.report.rejected_count += 1
        if len(self.report.rejected) < REJECTIONS_KEPT:
            self.report.rejected.append(RejectedLine(line, text[:100], reason))

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._chunks()
        except UnreadableText as exc:
            raise SerialImportError(str(exc)) from None

    def _chunks(self) -> Iterator[bytes]:
        head = text_start(self.source.read(_CHUNK_BYTES))
        first_line = head.split(b"\n", 1)[0].strip()
        if re.search(rb"[,;\t]", first_line):
            yield from self._csv_chunks(head)
            return
        start_line = 1
        if first_line.lower() == b"serial":
            head = head.split(b"\n", 1)[1] if b"\n" in head else b""
            start_line = 2
        yield from self._plain_chunks(head, start_line)

    def _plain_chunks(self, head: bytes, line_no: int) -> Iterator[bytes]:
        pending = head
        while True:
            more = self.source.read(_CHUNK_BYTES)
            data = pending + more
            if more:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    pending = data
                    continue
                chunk, pending = data[:cut], data[cut:]
            else:
                chunk, pending = data, b""
            if chunk:
                yield from self._plain_chunk(chunk, line_no)
                line_no += chunk.count(b"\n")
            if not more:
                return

    def _plain_chunk(self, chunk: bytes, first_line: int) -> Iterator[bytes]:
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = first_line + chunk.count(b"\n", 0, exc.start)
            raise SerialImportError(
                f"Line {line} is not UTF-8 text; save the file as UTF-8 and import it again."
            ) from None
        normalised = chunk.translate(_TABLE, _DELETE)
        if self.bad_line.search(normalised):
            kept = []
            for offset, (raw, serial) in enumerate(
                zip(chunk.split(b"\n"), normalised.split(b"\n"), strict=True)
            ):
                if not serial or self.good_line.match(serial):
                    kept.append(serial)
                else:
                    self.reject(first_line + offset, raw.decode().strip(), self._reason(serial))
            normalised = b"\n".join(kept)
        normalised = _BLANK_LINES.sub(b"\n", normalised).strip(b"\n")
        if normalised:
            self.report.read += normalised.count(b"\n") + 1
            yield normalised + b"\n"

    def _reason(self, serial: bytes) -> str:
        if len(serial) > MAX_SERIAL_LENGTH:
            return f"longer than {MAX_SERIAL_LENGTH} characters"
        return f"not a serial number of model {self.model.model_number}"

    def _csv_chunks(self, head: bytes) -> Iterator[bytes]:
        lines = io.BufferedReader(_Prepended(head, self.source), buffer_size=_CHUNK_BYTES)
        reader = csv.reader(text_lines(lines), dialect=_sniff_dialect(head))
        try:
            header = [h.strip().lower() for h in next(reader)]
            if "serial" not in header:
                raise SerialImportError("The CSV file has no 'serial' column in its first line.")
            column = header.index("serial")
            buffer: list[str] = []
            for row in reader:
                if not row or not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    self.reject(reader.line_num, ",".join(row), f"{len(row)} columns, expected {len(header)}")
                    continue
                serial = normalise_serial(row[column])
                if not serial:
                    continue
                if not self.good_line.match(serial.encode()):
                    self.reject(reader.line_num, row[column], self._reason(serial.encode()))
                    continue
                buffer.append(serial)
                if len(buffer) >= 50_000:
                    self.report.read += len(buffer)
                    yield ("\n".join(buffer) + "\n").encode()
                    buffer = []
            if buffer:
                self.report.read += len(buffer)
                yield ("\n".join(buffer) + "\n").encode()
        except csv.Error as exc:
            raise SerialImportError(f"Line {reader.line_num}: the CSV is malformed ({exc}).") from None


class _Prepended(io.RawIOBase):
    """A binary stream that yields ``head`` and then the rest of ``source``."""

    def __init__(self, head: bytes, source: BinaryIO) -> None:
        self.head = head
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _sniff_dialect(head: bytes) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(head[:4096].decode("utf-8", errors="ignore"), delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _insert_copy(batch: RecalledBatch, chunks: Iterator[bytes]) -> int:
    """PostgreSQL: COPY into a temporary table, then one sorted INSERT of the serials not listed yet.

    A plain INSERT, not ON CONFLICT DO NOTHING: a speculative insertion writes half as much WAL again
    per row. So the serials already listed (and a file's repeats) are left out by the SELECT, and
    imports of one model take turns on an advisory lock, each seeing what the one before
    it committed. Sorting first makes the unique index grow in order.
    """
    with staging_table("serial_import_staging", "serial text") as cursor:
        # The chunks are COPY's text format already: written as they come, not row by row.
        with cursor.copy("COPY serial_import_staging (serial) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk)
        cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", [_IMPORT_TURNS, batch.model_id])
        table = RecalledSerial._meta.db_table
        cursor.execute(
            f"INSERT INTO {table} (batch_id, recall_id, model_id, serial) "  # noqa: S608 - names are ours
            "SELECT DISTINCT %s, %s, %s, staged.serial FROM serial_import_staging staged "
            f"WHERE NOT EXISTS (SELECT FROM {table} listed WHERE listed.model_id = %s "
            "AND listed.serial = staged.serial AND listed.recall_id = %s) "
            "ORDER BY staged.serial",
            [batch.pk, batch.recall_id, batch.model_id, batch.model_id, batch.recall_id],
        )
        return cursor.rowcount


def _insert_rows(batch: RecalledBatch, chunks: Iterator[bytes]) -> int:
    """Any other database: batched INSERT .. ON CONFLICT DO NOTHING."""
    table = RecalledSerial._meta.db_table
    sql = (
        f"INSERT INTO {table} (batch_id, recall_id, model_id, serial) "  # noqa: S608 - names are ours
        "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    ids = (batch.pk, batch.recall_id, batch.model_id)
    inserted = 0
    with connection.cursor() as cursor:
        for chunk in chunks:
            cursor.executemany(sql, [(*ids, s) for s in chunk.decode().split("\n") if s])
            inserted += cursor.rowcount
    return inserted


def serials_import(
    *,
    recall: Recall,
    model: ProductModel,
    source: BinaryIO,
    batch_name: str,
    markets: list[str] | None = None,
) -> SerialImportReport:
    """Add the serials of ``source`` to a batch; serials already listed for the recall and model are skipped.

    One transaction: a file that cannot be read as a whole (wrong encoding, malformed CSV) leaves
    nothing behind. Lines that are not serials of the model are reported and left out.
    """
    markets = [country_require(country=c) for c in markets] if markets else None
    started = time.monotonic()
    with transaction.atomic():
        batch, _ = RecalledBatch.objects.get_or_create(recall=recall, model=model, name=batch_name)
        recall.models.add(model)
        if markets is None and not batch.markets.exists():
            markets = list(recall.market_rules.values_list("country", flat=True))
            if not markets:
                raise SerialImportError(
                    f"Recall {recall.code} has no market rules yet: name the markets the batch was sold in."
                )
        for country in markets or []:
            BatchMarket.objects.get_or_create(batch=batch, country=country)

        report = SerialImportReport(batch=batch)
        chunks = _SerialReader(source, model, report).chunks()
        insert = _insert_copy if connection.vendor == "postgresql" else _insert_rows
        report.imported = insert(batch, chunks)
        RecalledBatch.objects.filter(pk=batch.pk).update(listed_serials=F("listed_serials") + report.imported)
    report.seconds = time.monotonic() - started
    return report


def market_rule_save(*, recall: Recall, country: str, **values) -> MarketRule:
    """Create or change what ``recall`` offers in ``country``, refused (``validation_error``) where the
    model's own validation refuses it: an EU/EEA market with fewer than two remedies (GPSR Art. 37),
    a gift card without a value, a refund without an amount."""
    country = normalise_country(country)
    rule = MarketRule.objects.filter(recall=recall, country=country).first() or MarketRule(
        recall=recall, country=country
    )
    for name, value in values.items():
        setattr(rule, name, value)
    try:
        rule.full_clean()
    except ValidationError as exc:
        messages = exc.message_dict
        raise ApplicationError(
            "validation_error",
            " ".join(m for ms in messages.values() for m in ms),
            fields={("non_field_errors" if k == NON_FIELD_ERRORS else k): ms for k, ms in messages.items()},
        ) from None
    rule.save()
    return rule
