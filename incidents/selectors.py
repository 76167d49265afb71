"""Reads of incidents that several callers share: the deadlines still running, the clusters outside the
recalled batches, and the counts the monthly report takes."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from recalls.models import ProductModel, RecalledBatch, RecalledSerial, SerialRange

from .models import Incident


def batch_of_serial(*, model: ProductModel, serial: str) -> RecalledBatch | None:
    """The recalled batch (of any recall, sold in any country) that lists or ranges this normalised
    serial: the latest announced, if several. Two indexed look-ups: the listed serials by their key
    (model, serial), the ranges by prefix and width."""
    listed = RecalledSerial.objects.filter(model=model, serial=serial).values_list("batch_id", flat=True)
    digits = len(serial) - len(serial.rstrip("0123456789"))
    in_range = Q(pk__in=[])
    for width in range(1, digits + 1):
        number = int(serial[-width:])
        in_range |= Q(prefix=serial[:-width], width=width, start__lte=number, end__gte=number)
    ranged = SerialRange.objects.filter(in_range, batch__model=model).values_list("batch_id", flat=True)
    found = {*listed, *ranged}
    if not found:
        return None
    return RecalledBatch.objects.filter(pk__in=found).order_by("-recall__announced_on", "-pk").first()


def deadlines_running() -> QuerySet[Incident]:
    """Serious incidents whose report to the regulator is due and not filed yet, the soonest first."""
    return (
        Incident.objects.filter(report_due_at__isnull=False, reported_at__isnull=True)
        .select_related("model")
        .order_by("report_due_at")
    )


@dataclass(frozen=True)
class DeadlineShown:
    incident: Incident
    left: datetime.timedelta  # negative once it has passed

    @property
    def overdue(self) -> bool:
        return self.left < datetime.timedelta(0)

    @property
    def left_text(self) -> str:
        """ "5 h 20 min left", "2 d 3 h left", "overdue by 40 min"."""
        seconds = int(abs(self.left).total_seconds())
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        parts = [f"{days} d"] if days else []
        if hours or days:
            parts.append(f"{hours} h")
        if not days:
            parts.append(f"{minutes} min")
        text = " ".join(parts)
        return f"overdue by {text}" if self.overdue else f"{text} left"


def deadlines_shown(*, now: datetime.datetime | None = None) -> list[DeadlineShown]:
    now = now or timezone.now()
    return [
        DeadlineShown(incident, cast(datetime.datetime, incident.report_due_at) - now)
        for incident in deadlines_running()
    ]


# --- Clusters outside the recalled batches ---------------------------------------------------------


def serial_block(serial: str) -> str:
    """The block of a serial: all but its last ``INCIDENT_CLUSTER_BLOCK_DIGITS`` characters. With the
    default 6, ``AH23070000000042`` is in block ``AH23070000``: a million consecutive serials, the
    size of a recalled range of the first recall, made in one month (the prefix's 2307 is July 2023)."""
    digits = settings.INCIDENT_CLUSTER_BLOCK_DIGITS
    return serial[:-digits] if len(serial) > digits else ""


@dataclass(frozen=True)
class Cluster:
    """Reports of one model from units in one serial block that no recalled batch covers."""

    model_number: str
    block: str
    incidents: list[Incident]

    @property
    def units(self) -> int:
        return len({incident.serial for incident in self.incidents})

    @property
    def first_serial(self) -> str:
        return min(incident.serial for incident in self.incidents)

    @property
    def last_serial(self) -> str:
        return max(incident.serial for incident in self.incidents)

    @property
    def explanation(self) -> str:
        return (
            f"{self.units} different units of model {self.model_number} with serials in block "
            f"{self.block}… ({self.first_serial} to {self.last_serial}) were reported, and no recalled "
            f"batch covers any of them: the rule warns from {settings.INCIDENT_CLUSTER_MIN_UNITS} units "
            f"of one block (serials alike but for their last {settings.INCIDENT_CLUSTER_BLOCK_DIGITS} "
            "characters). The recall may need widening to this block: ask the manufacturer what was "
            "made there."
        )


def clusters_outside_recalls() -> list[Cluster]:
    """Where reports gather outside the recall: at least ``INCIDENT_CLUSTER_MIN_UNITS`` different units
    of one model whose serials share a block (see ``serial_block``) and are in no recalled batch of any
    recall or country. Units are counted once however often they were reported, and each serial is
    checked against the batches as they are now, so a recall widened to the block ends its warning."""
    minimum = settings.INCIDENT_CLUSTER_MIN_UNITS
    groups: dict[tuple[int, str], list[Incident]] = defaultdict(list)
    outside = Incident.objects.filter(batch__isnull=True).exclude(serial="").select_related("model")
    for incident in outside.order_by("created_at"):
        block = serial_block(incident.serial)
        if block:
            groups[incident.model_id, block].append(incident)
    clusters = []
    for (_model_id, block), incidents in sorted(groups.items(), key=lambda item: item[0][1]):
        if len({i.serial for i in incidents}) < minimum:
            continue
        model = incidents[0].model
        covered = {
            serial for serial in {i.serial for i in incidents} if batch_of_serial(model=model, serial=serial)
        }
        still_outside = [i for i in incidents if i.serial not in covered]
        if len({i.serial for i in still_outside}) >= minimum:
            clusters.append(Cluster(model_number=model.model_number, block=block, incidents=still_outside))
    return clusters


# --- For the monthly report ------------------------------------------------------------------------


def incident_counts(
    *, recall_id: int | None = None, start: datetime.date, end: datetime.date
) -> dict[str, int]:
    """Incidents the programme learnt of from ``start`` to ``end`` (inclusive, UTC days): all, serious,
    with an injury, with property damage, and by kind."""
    found = Incident.objects.filter(created_at__date__gte=start, created_at__date__lte=end)
    if recall_id is not None:
        found = found.filter(recall_id=recall_id)
    totals = found.aggregate(
        incidents=Count("pk"),
        injuries=Count("pk", filter=Q(injury=True)),
        property_damage=Count("pk", filter=Q(property_damage=True)),
        serious=Count(
            "pk", filter=Q(injury=True) | Q(kind__in=[Incident.Kind.FIRE, Incident.Kind.EXPLOSION])
        ),
    )
    by_kind = dict(found.values_list("kind").annotate(n=Count("pk")).order_by())
    return {**totals, **{f"kind_{kind}": by_kind.get(kind, 0) for kind in Incident.Kind.values}}
