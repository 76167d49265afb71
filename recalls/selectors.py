"""Reads of the recall catalogue that several callers share."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import MarketRule, ProductModel, Recall, RecalledBatch, RecalledSerial, SerialRange


def recall_list_active() -> QuerySet[Recall]:
    return Recall.objects.filter(active=True).prefetch_related(
        "models",
        Prefetch("market_rules", queryset=MarketRule.objects.select_related("replacement_model")),
    )


def product_model_get(*, model_number: str) -> ProductModel | None:
    return ProductModel.objects.filter(model_number=model_number.strip().upper()).first()


def _range_covers(serial: str) -> Q:
    """Ranges that could hold the serial: every split of it into a prefix and a trailing number."""
    digits = len(serial) - len(serial.rstrip("0123456789"))
    q = Q(pk__in=[])
    for width in range(1, digits + 1):
        number = int(serial[-width:])
        q |= Q(prefix=serial[:-width], width=width, start__lte=number, end__gte=number)
    return q


def batch_covering_serial(*, model: ProductModel, serial: str, country: str) -> RecalledBatch | None:
    """The batch of the latest active recall that lists or ranges this serial and was sold in ``country``.

    ``serial`` must be normalised. A batch sold elsewhere does not cover the unit, even if the same
    model and serial are recalled there (the Japan-only recall covers Japanese batches only).
    """
    listed = RecalledSerial.objects.filter(model=model, serial=serial, batch=OuterRef("pk"))
    ranged = SerialRange.objects.filter(_range_covers(serial), batch=OuterRef("pk"))
    return (
        RecalledBatch.objects.filter(model=model, recall__active=True, markets__country=country)
        .filter(Exists(listed) | Exists(ranged))
        .select_related("recall")
        .order_by("-recall__announced_on", "-recall_id")
        .first()
    )


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
