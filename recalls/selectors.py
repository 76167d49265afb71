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


def product_model_get(*, model_number: str) -> ProductModel | None:
    """The model by its number. In SQL, as ``batch_covering_serial``: every serial check and claim
    runs it, and building the ORM query cost more than the query itself."""
    sql = f"SELECT id, model_number, name, serial_format, is_demo FROM {ProductModel._meta.db_table} "  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql + "WHERE model_number = %s", [model_number.strip().upper()])
        row = cursor.fetchone()
    if row is None:
        return None
    model_id, number, name, serial_format, is_demo = row
    return ProductModel(
        id=model_id, model_number=number, name=name, serial_format=serial_format, is_demo=bool(is_demo)
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
        "batch": RecalledBatch._meta.db_table,
        "recall": Recall._meta.db_table,
        "market": BatchMarket._meta.db_table,
        "rule": MarketRule._meta.db_table,
        "serial": RecalledSerial._meta.db_table,
        "range": SerialRange._meta.db_table,
    }


def _serial_in_batch(range_splits: int) -> str:
    """The condition that batch ``b`` lists or ranges the serial; its parameters come from ``_serial_params``."""
    tables = _tables()
    ranges = " OR ".join(
        ['(g.prefix = %s AND g.width = %s AND g."start" <= %s AND g."end" >= %s)'] * range_splits
    )
    return f"""(
        b.id IN (SELECT s.batch_id FROM {tables["serial"]} s WHERE s.model_id = %s AND s.serial = %s)
        {f"OR b.id IN (SELECT g.batch_id FROM {tables['range']} g WHERE {ranges})" if range_splits else ""}
    )"""  # noqa: S608 - table names are the models' own; every value is a parameter


def _serial_params(model: ProductModel, serial: str) -> tuple[int, list]:
    """How many ways the serial reads as a prefix and a number, and the condition's parameters."""
    digits = len(serial) - len(serial.rstrip("0123456789"))
    params: list = [model.pk, serial]
    for width in range(1, digits + 1):  # every way to read the serial as a prefix and ``width`` digits
        number = int(serial[-width:])
        params += [serial[:-width], width, number, number]
    return digits, params


@functools.cache
def _covering_sql(range_splits: int) -> str:
    """One query for the hot path of every serial check and claim; built once per shape.

    Written in SQL because building the same query with the ORM (a range condition per way of
    splitting the serial into prefix and number) cost ten times the query itself.
    """
    tables = _tables()
    rule_columns = ", ".join(f"mr.{c}" for c in _MARKET_RULE_COLUMNS)
    title_columns = ", ".join(f"r.{c}" for c in _TITLE_COLUMNS)
    return f"""
        SELECT b.id, r.id, r.code, r.title, {title_columns}, r.is_demo, r.claim_deadline, {rule_columns}
        FROM {tables["batch"]} b
        JOIN {tables["recall"]} r ON r.id = b.recall_id
        JOIN {tables["market"]} m ON m.batch_id = b.id
        LEFT JOIN {tables["rule"]} mr ON mr.recall_id = r.id AND mr.country = m.country
        WHERE b.model_id = %s AND r.active = %s AND m.country = %s AND {_serial_in_batch(range_splits)}
        ORDER BY r.announced_on DESC, r.id DESC
        LIMIT 1
    """  # noqa: S608 - table names are the models' own; every value is a parameter


@functools.cache
def _elsewhere_sql(range_splits: int) -> str:
    tables = _tables()
    return f"""
        SELECT DISTINCT r.code, m.country, r.announced_on, r.id
        FROM {tables["batch"]} b
        JOIN {tables["recall"]} r ON r.id = b.recall_id
        JOIN {tables["market"]} m ON m.batch_id = b.id
        WHERE b.model_id = %s AND r.active = %s AND m.country <> %s AND {_serial_in_batch(range_splits)}
        ORDER BY r.announced_on DESC, r.id DESC, m.country
    """  # noqa: S608 - table names are the models' own; every value is a parameter


def batch_covering_serial(*, model: ProductModel, serial: str, country: str) -> Coverage | None:
    """The batch of the latest active recall that lists or ranges this serial and was sold in ``country``.

    ``serial`` must be normalised. A batch sold elsewhere does not cover the unit, even if the same
    model and serial are recalled there (the Japan-only recall covers Japanese batches only).
    """
    splits, serial_params = _serial_params(model, serial)
    with connection.cursor() as cursor:
        cursor.execute(_covering_sql(splits), [model.pk, True, country, *serial_params])
        row = cursor.fetchone()
    if row is None:
        return None
    batch_id, recall_id, code, untranslated, *rest = row
    titles, (is_demo, claim_deadline, *rule) = rest[: len(_TITLE_COLUMNS)], rest[len(_TITLE_COLUMNS) :]
    recall = CoveringRecall(
        id=recall_id,
        code=code,
        title=_title_in_active_language(dict(zip(AVAILABLE_LANGUAGES, titles, strict=True)), untranslated),
        is_demo=bool(is_demo),
        claim_deadline=Recall._meta.get_field("claim_deadline").to_python(claim_deadline),
    )
    market_rule = None
    if rule[0] is not None:
        # Raw rows carry the database's own types (SQLite: 0/1, floats): let the fields read them.
        values = {
            column: cast(Field, MarketRule._meta.get_field(column)).to_python(value)
            for column, value in zip(_MARKET_RULE_COLUMNS, rule, strict=True)
        }
        market_rule = MarketRule(recall_id=recall.id, country=country, **values)
    return Coverage(batch_id=batch_id, recall=recall, market_rule=market_rule)


@dataclass(frozen=True)
class RecalledElsewhere:
    """A recall whose batches cover the unit in other countries than the one asked about."""

    recall: str
    countries: tuple[str, ...]


def recalls_covering_elsewhere(*, model: ProductModel, serial: str, country: str) -> list[RecalledElsewhere]:
    """The active recalls that cover this unit outside ``country``, latest first, with those countries.

    A unit bought abroad, or whose owner moved, is physically one of the recalled ones: the customer
    must hear that it is dangerous even where no claim can be made for it."""
    splits, serial_params = _serial_params(model, serial)
    with connection.cursor() as cursor:
        cursor.execute(_elsewhere_sql(splits), [model.pk, True, country, *serial_params])
        rows = cursor.fetchall()
    countries: dict[str, list[str]] = {}
    for code, other_country, _announced_on, _recall_id in rows:
        countries.setdefault(code, []).append(other_country)
    return [RecalledElsewhere(recall=code, countries=tuple(found)) for code, found in countries.items()]


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
