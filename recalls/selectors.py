"""Reads of the recall catalogue that several callers share."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import cast

from django.db import connection
from django.db.models import Field, Prefetch, QuerySet
from modeltranslation.settings import AVAILABLE_LANGUAGES
from modeltranslation.utils import build_localized_fieldname, get_language, resolution_order

from .models import (
    BatchMarket,
    MarketRule,
    ProductModel,
    Recall,
    RecalledBatch,
    RecalledSerial,
    SerialRange,
    claims_open_until,
)


def recall_list_active() -> QuerySet[Recall]:
    return Recall.objects.filter(active=True).prefetch_related(
        "models",
        Prefetch("market_rules", queryset=MarketRule.objects.select_related("replacement_model")),
    )


@dataclass(frozen=True)
class CoveringRecall:
    """What the eligibility query reads of the recall that covers a unit: enough to answer a serial
    check and to take a claim, and nothing that looks like a whole ``Recall`` row."""

    id: int
    code: str
    title: str  # in the language active when it was read (English where that one has none)
    is_demo: bool
    claim_deadline: datetime.date | None

    def claims_open(self, *, today: datetime.date | None = None) -> bool:
        return claims_open_until(self.claim_deadline, today=today)


@dataclass(frozen=True)
class Coverage:
    """The batch of an active recall that covers a unit, and what that recall offers in its market
    (the rule's own columns, read in the same query; not saved)."""

    batch_id: int
    recall: CoveringRecall
    market_rule: MarketRule | None


_MARKET_RULE_COLUMNS = [
    "id",
    "offers_replacement",
    "offers_gift_card",
    "offers_refund",
    "gift_card_amount",
    "gift_card_currency",
    "refund_amount",
    "refund_currency",
    "replacement_model_id",
    "disposal_before_remedy",
    "product_photo_required",
]


# The recall's title in every language, read in the same query; the active one is picked in Python.
_TITLE_COLUMNS = [build_localized_fieldname("title", language) for language in AVAILABLE_LANGUAGES]


def _title_in_active_language(titles: dict[str, str | None], untranslated: str) -> str:
    """As ``Recall.title`` reads (modeltranslation): the active language's, else English's; and the
    column the row was written with if no language has one."""
    for language in resolution_order(get_language()):
        if titles.get(language):
            return cast(str, titles[language])
    return untranslated


def _tables() -> dict[str, str]:
    return {
        "model": ProductModel._meta.db_table,
        "batch": RecalledBatch._meta.db_table,
        "recall": Recall._meta.db_table,
        "market": BatchMarket._meta.db_table,
        "rule": MarketRule._meta.db_table,
        "serial": RecalledSerial._meta.db_table,
        "range": SerialRange._meta.db_table,
    }


_MODEL_COLUMNS = ["id", "model_number", "name", "serial_format", "is_demo"]


@dataclass(frozen=True)
class RecalledElsewhere:
    """A recall whose batches cover the unit in other countries than the one asked about."""

    recall: str
    countries: tuple[str, ...]


@dataclass(frozen=True)
class SerialLookup:
    """A model and what covers one of its serials: in the country asked about, and elsewhere."""

    model: ProductModel | None
    coverage: Coverage | None = None
    # The active recalls that cover the unit outside that country, latest first, with those countries.
    elsewhere: tuple[RecalledElsewhere, ...] = ()


# A serial's trailing digits read as a number, by a range of the unit's batch: the serial's part after
# the range's prefix; NULL where that number would not fit the range's bigint columns.
_RANGE_NUMBER = """CASE WHEN length(ltrim(substr({serial}, length(g.prefix) + 1), '0')) < 19
        OR ltrim(substr({serial}, length(g.prefix) + 1), '0') <= '9223372036854775807'
    THEN CAST(substr({serial}, length(g.prefix) + 1) AS bigint) END"""


@functools.cache
def _lookup_sql(by: str) -> str:
    """One statement for the hot path of every serial check and claim: the model (``by`` its id or its
    number) and every batch of an active recall that lists or ranges the serial, one row per country
    the batch was sold in, the asked country's rows first, latest recall first; the model's row alone
    if nothing covers the serial.

    Written in SQL because building it with the ORM cost more than the query itself, and as one
    statement because the round trips to the database were most of a serial check's time. A range
    covers the serial when the serial is the range's prefix followed by ``width`` digits (at most the
    serial's trailing ones) whose number is between the range's ends.
    """
    t = _tables()
    serial = "CAST(%(serial)s AS varchar)"
    return f"""
        SELECT {", ".join(f"pm.{c}" for c in _MODEL_COLUMNS)},
               b.id, m.country, r.id, r.code, r.title, {", ".join(f"r.{c}" for c in _TITLE_COLUMNS)},
               r.is_demo, r.claim_deadline, {", ".join(f"mr.{c}" for c in _MARKET_RULE_COLUMNS)}
        FROM {t["model"]} pm
        LEFT JOIN {t["batch"]} b ON b.model_id = pm.id AND (
            b.id IN (SELECT s.batch_id FROM {t["serial"]} s WHERE s.model_id = pm.id AND s.serial = {serial})
            OR EXISTS (
                SELECT 1 FROM {t["range"]} g
                WHERE g.batch_id = b.id AND g.width <= %(digits)s
                    AND length(g.prefix) + g.width = %(length)s
                    AND substr({serial}, 1, length(g.prefix)) = g.prefix
                    AND {_RANGE_NUMBER.format(serial=serial)} BETWEEN g."start" AND g."end"))
        LEFT JOIN {t["recall"]} r ON r.id = b.recall_id AND r.active = %(active)s
        LEFT JOIN {t["market"]} m ON m.batch_id = b.id AND r.id IS NOT NULL
        LEFT JOIN {t["rule"]} mr ON mr.recall_id = r.id AND mr.country = m.country AND mr.country = %(country)s
        WHERE pm.{by} = %(key)s
        ORDER BY CASE WHEN m.country = %(country)s THEN 0 ELSE 1 END, r.announced_on DESC, r.id DESC,
            m.country, b.id
    """  # noqa: S608 - table names are the models' own; every value is a parameter


def _lookup(*, by: str, key: int | str, serial: str, country: str) -> SerialLookup:
    params = {
        "key": key,
        "serial": serial,
        "digits": len(serial) - len(serial.rstrip("0123456789")),
        "length": len(serial),
        "active": True,
        "country": country,
    }
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(by), params)
        rows = cursor.fetchall()
    if not rows:
        return SerialLookup(model=None)
    width = len(_MODEL_COLUMNS)
    model_id, number, name, serial_format, is_demo = rows[0][:width]
    model = ProductModel(
        id=model_id, model_number=number, name=name, serial_format=serial_format, is_demo=bool(is_demo)
    )
    coverage: Coverage | None = None
    elsewhere: dict[str, dict[str, None]] = {}  # each recall's countries, in order, once each
    for row in rows:
        batch_id, row_country, recall_id, code, untranslated, *rest = row[width:]
        if row_country is None:
            continue  # a batch of an inactive recall, or the model's row alone: nothing covers the serial
        if row_country != country:
            elsewhere.setdefault(code, {})[row_country] = None
        elif coverage is None:
            titles = dict(zip(AVAILABLE_LANGUAGES, rest[: len(_TITLE_COLUMNS)], strict=True))
            recall_is_demo, claim_deadline, *rule = rest[len(_TITLE_COLUMNS) :]
            coverage = Coverage(
                batch_id=batch_id,
                recall=CoveringRecall(
                    id=recall_id,
                    code=code,
                    title=_title_in_active_language(titles, untranslated),
                    is_demo=bool(recall_is_demo),
                    claim_deadline=Recall._meta.get_field("claim_deadline").to_python(claim_deadline),
                ),
                market_rule=_market_rule(rule, recall_id=recall_id, country=country),
            )
    return SerialLookup(
        model=model,
        coverage=coverage,
        elsewhere=tuple(
            RecalledElsewhere(recall=code, countries=tuple(found)) for code, found in elsewhere.items()
        ),
    )


def _market_rule(values: list, *, recall_id: int, country: str) -> MarketRule | None:
    if values[0] is None:
        return None
    # Raw rows carry the database's own types (SQLite: 0/1, floats): let the fields read them.
    fields = {
        column: cast(Field, MarketRule._meta.get_field(column)).to_python(value)
        for column, value in zip(_MARKET_RULE_COLUMNS, values, strict=True)
    }
    return MarketRule(recall_id=recall_id, country=country, **fields)


def serial_lookup(*, model_number: str, serial: str, country: str) -> SerialLookup:
    """The model by its number and, for a normalised ``serial`` (or none: ""), what covers it, in one
    statement. A serial check and a claim read everything they decide on here."""
    return _lookup(by="model_number", key=model_number.strip().upper(), serial=serial, country=country)


def product_model_get(*, model_number: str) -> ProductModel | None:
    """The model by its number."""
    return serial_lookup(model_number=model_number, serial="", country="").model


def batch_covering_serial(*, model: ProductModel, serial: str, country: str) -> Coverage | None:
    """The batch of the latest active recall that lists or ranges this serial and was sold in ``country``.

    ``serial`` must be normalised. A batch sold elsewhere does not cover the unit, even if the same
    model and serial are recalled there (the Japan-only recall covers Japanese batches only).
    """
    return _lookup(by="id", key=model.pk, serial=serial, country=country).coverage


def recall_for_model_in_country(*, model: ProductModel, country: str) -> Recall | None:
    """The active recall covering the model in the country (the latest, if several)."""
    return (
        Recall.objects.filter(active=True, models=model, market_rules__country=country)
        .order_by("-announced_on", "-pk")
        .first()
    )


def market_rule_get(*, recall: Recall, country: str) -> MarketRule | None:
    return (
        MarketRule.objects.filter(recall=recall, country=country).select_related("replacement_model").first()
    )
