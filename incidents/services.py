"""Every write to an incident: its intake, its triage, and the warnings of deadlines half gone."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.contacts import phone_e164, phone_example
from claims.models import Claim
from claims.references import CROCKFORD, normalise_reference, random_crockford
from claims.services import normalise_email, single_line
from claims.uploads import CleanUpload, clean_upload
from core.errors import ApplicationError, Conflict
from core.recovery import log_event
from recalls.countries import country_label, market_time_zone
from recalls.selectors import batch_covering_serial, recall_for_model_in_country
from recalls.services import country_require, product_model_require, serial_require

from .deadlines import reporting_rule
from .models import Incident, IncidentStatus, new_photo_name
from .notifications import deadline_halfway_email_owe
from .selectors import batch_of_serial

logger = logging.getLogger(__name__)

CLAIM_REFERENCE = re.compile(rf"RC-[{CROCKFORD}]{{8}}")
# The furthest any clock on Earth runs ahead of UTC: "today" for a country whose zone is not known.
_EARLIEST_ZONE = datetime.timezone(datetime.timedelta(hours=14))
_ONE_LINE_FIELDS = ("name", "email", "phone", "serial", "claim_reference", "model_number", "country")


def new_incident_reference() -> str:
    """``IN-`` and 8 characters of Crockford's base32, like a claim's reference."""
    return f"IN-{random_crockford(8)}"


@dataclass(frozen=True)
class IncidentSubmission:
    model_number: str
    country: str
    kind: str
    occurred_on: datetime.date
    description: str
    name: str
    email: str
    channel: str
    injury: bool = False
    property_damage: bool = False
    serial: str = ""
    phone: str = ""
    claim_reference: str = ""
    photo: UploadedFile | None = None
    language: str = "en"


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError.invalid_fields({field: [message]})


def _today_in(country: str) -> datetime.date:
    zone = market_time_zone(country)
    return timezone.now().astimezone(_EARLIEST_ZONE if zone is datetime.UTC else zone).date()


def _claim_reference_require(value: str) -> str:
    if not value:
        return ""
    reference = normalise_reference(value)
    if not CLAIM_REFERENCE.fullmatch(reference):
        raise _invalid("claim_reference", _("A claim reference looks like RC-7K3F9QX2."))
    return reference


def _photo_clean(photo: UploadedFile | None) -> CleanUpload | None:
    if photo is None:
        return None
    cleaned = clean_upload(photo, field="photo")
    if not cleaned.content_type.startswith("image/"):
        raise ApplicationError(
            "invalid_upload",
            _("An uploaded file was refused."),
            fields={"photo": [_("Send a JPEG, PNG or WebP image.")]},
        )
    return cleaned


def _claim_of(reference: str, *, email: str, model_id: int, serial: str) -> Claim | None:
    """The claim the reference names, if it is the reporter's: the same e-mail or the same unit. A
    reference of someone else's claim is kept as given and linked to nothing, and the answer is the
    same either way, so a report discloses no claim."""
    if not reference:
        return None
    claim = Claim.objects.filter(reference=reference).first()
    if claim is None:
        return None
    same_unit = bool(serial) and claim.model_id == model_id and claim.serial == serial
    return claim if claim.email == email or same_unit else None


def incident_submit(*, submission: IncidentSubmission) -> Incident:
    """Take a customer's report: validate it, store its photo, link it to its claim, recalled batch and
    recall, and start its market's reporting deadline if it is serious."""
    cleaned: dict[str, Any] = {name: single_line(getattr(submission, name)) for name in _ONE_LINE_FIELDS}
    description = submission.description.replace("\x00", "").strip()
    blank = [name for name in ("name", "email") if not cleaned[name]] + (
        [] if description else ["description"]
    )
    if blank:
        raise ApplicationError.invalid_fields({name: [_("This field may not be blank.")] for name in blank})
    submission = dataclasses.replace(submission, **cleaned, description=description)
    model = product_model_require(model_number=submission.model_number)
    country = country_require(country=submission.country)
    phone = ""
    if submission.phone:
        phone = phone_e164(submission.phone, country=country) or ""
        if not phone:
            raise _invalid(
                "phone",
                _(
                    "Enter a valid phone number for %(country)s, such as %(example)s, or one of another "
                    "country with its country code (+...)."
                )
                % {"country": country_label(country), "example": phone_example(country)},
            )
    if submission.occurred_on > _today_in(country):
        raise _invalid("occurred_on", _("This date is in the future."))
    serial = serial_require(model=model, serial=submission.serial) if submission.serial else ""
    claim_reference = _claim_reference_require(submission.claim_reference)
    photo = _photo_clean(submission.photo)

    coverage = batch_covering_serial(model=model, serial=serial, country=country) if serial else None
    batch_id: int | None
    recall_id: int | None
    if coverage is not None:
        batch_id, recall_id = coverage.batch_id, coverage.recall.id
    else:
        # A unit bought abroad is still one of a recalled batch, even where no recall covers it here.
        batch = batch_of_serial(model=model, serial=serial) if serial else None
        recall = recall_for_model_in_country(model=model, country=country)
        batch_id, recall_id = (batch.pk if batch else None), (recall.pk if recall else None)
    email = normalise_email(submission.email)

    stored = ""
    if photo is not None:
        stored = Incident._meta.get_field("photo").storage.save(
            new_photo_name(photo.content_type), ContentFile(photo.content)
        )
    try:
        incident = _incident_insert(
            Incident(
                recall_id=recall_id,
                model=model,
                serial=serial,
                batch_id=batch_id,
                country=country,
                kind=submission.kind,
                injury=submission.injury,
                property_damage=submission.property_damage,
                occurred_on=submission.occurred_on,
                description=description,
                name=submission.name,
                email=email,
                phone=phone,
                language=submission.language,
                claim=_claim_of(claim_reference, email=email, model_id=model.pk, serial=serial),
                claim_reference=claim_reference,
                channel=submission.channel,
                photo=stored,
                photo_content_type=photo.content_type if photo else "",
                photo_sha256=photo.sha256 if photo else "",
            )
        )
    except BaseException:
        if stored:
            Incident._meta.get_field("photo").storage.delete(stored)
        raise
    log_event(
        logger,
        "incident.received",
        incident=incident.reference,
        kind=incident.kind,
        country=incident.country,
        serious=incident.serious,
        due=incident.report_due_at,
    )
    return incident


def _incident_insert(incident: Incident) -> Incident:
    for _attempt in range(5):
        incident.reference, incident.pk = new_incident_reference(), None
        try:
            with transaction.atomic():
                incident.save()
                _deadline_apply(incident)
                incident.save(update_fields=["report_rule", "report_due_at"])
            return incident
        except IntegrityError:
            if not Incident.objects.filter(reference=incident.reference).exists():
                raise
            # 40 random bits of the reference collided: draw again.
    raise RuntimeError("Could not draw a free incident reference.")


def _deadline_apply(incident: Incident) -> None:
    """A serious incident gets its market's deadline, from when the programme learnt of it; one that is
    not serious (any more: triage found no one hurt) has none, unless it was reported already."""
    if incident.serious:
        rule = reporting_rule(incident.country)
        if incident.report_due_at is None or incident.report_rule != rule.rule:
            incident.report_rule = rule.rule
            incident.report_due_at = incident.created_at + rule.within
    elif incident.reported_at is None:
        incident.report_rule, incident.report_due_at = "", None


# --- Triage ------------------------------------------------------------------------------------------

# Which status may follow which. A closed incident can be opened again (a second look at the unit).
TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentStatus.RECEIVED: frozenset(
        {IncidentStatus.TRIAGED, IncidentStatus.REPORTED, IncidentStatus.CLOSED}
    ),
    IncidentStatus.TRIAGED: frozenset({IncidentStatus.REPORTED, IncidentStatus.CLOSED}),
    IncidentStatus.REPORTED: frozenset({IncidentStatus.CLOSED}),
    IncidentStatus.CLOSED: frozenset({IncidentStatus.TRIAGED}),
}
TRIAGE_FIELDS = (
    "status",
    "severity",
    "kind",
    "injury",
    "property_damage",
    "findings",
    "follow_up",
    "regulator_reference",
)


def incident_triage_check(*, incident: Incident, changes: dict[str, Any]) -> None:
    """Refuse a triage that breaks a rule: a status that may not follow the stored one, or a serious
    incident closed before it is reported. ``incident`` is as stored."""
    after = dataclasses.replace(_Triage.of(incident), **changes)
    if after.status != incident.status and after.status not in TRANSITIONS[incident.status]:
        raise Conflict(
            "invalid_transition",
            f"An incident that is {incident.get_status_display().lower()} cannot become "
            f"{IncidentStatus(after.status).label.lower()}.",
            fields={"status": ["Not allowed from the current status."]},
        )
    serious = after.injury or after.kind in (Incident.Kind.FIRE, Incident.Kind.EXPLOSION)
    reported = (
        incident.reported_at is not None
        or bool(after.regulator_reference)
        or after.status == IncidentStatus.REPORTED
    )
    if after.status == IncidentStatus.CLOSED and serious and not reported:
        raise Conflict(
            "report_outstanding",
            "A serious incident is reported to the regulator before it is closed.",
            fields={"status": ["File the regulator's reference, or mark the incident reported, first."]},
        )


@dataclass(frozen=True)
class _Triage:
    status: str
    severity: str
    kind: str
    injury: bool
    property_damage: bool
    findings: str
    follow_up: str
    regulator_reference: str

    @classmethod
    def of(cls, incident: Incident) -> _Triage:
        return cls(**{name: getattr(incident, name) for name in TRIAGE_FIELDS})


@transaction.atomic
def incident_triage(*, incident_id: int, changes: dict[str, Any], user) -> Incident:
    """A supervisor's triage: severity, what happened, follow-up, status, the regulator's reference.

    Filing the regulator's reference, or marking the incident reported, meets its deadline; correcting
    what happened (someone was hurt after all) gives it the deadline of its market, or takes it away."""
    incident = Incident.objects.select_for_update().get(pk=incident_id)
    changes = {name: value for name, value in changes.items() if name in TRIAGE_FIELDS}
    if "regulator_reference" in changes:
        changes["regulator_reference"] = single_line(changes["regulator_reference"])
    incident_triage_check(incident=incident, changes=changes)
    now = timezone.now()
    for name, value in changes.items():
        setattr(incident, name, value)
    if incident.regulator_reference and incident.status in (IncidentStatus.RECEIVED, IncidentStatus.TRIAGED):
        incident.status = IncidentStatus.REPORTED
    if incident.reported_at is None and (
        incident.regulator_reference or incident.status == IncidentStatus.REPORTED
    ):
        incident.reported_at = now
    if incident.status != IncidentStatus.RECEIVED and incident.triaged_at is None:
        incident.triaged_at, incident.triaged_by = now, user
    _deadline_apply(incident)
    incident.save()
    log_event(
        logger,
        "incident.triaged",
        incident=incident.reference,
        status=incident.status,
        reported=incident.reported_at is not None,
        actor=f"staff:{getattr(user, 'pk', '')}",
    )
    return incident


# --- Deadlines half gone -------------------------------------------------------------------------------


def halfway(incident: Incident) -> datetime.datetime:
    assert incident.report_due_at is not None
    return incident.created_at + (incident.report_due_at - incident.created_at) / 2


def deadlines_halfway_warn(*, now: datetime.datetime | None = None) -> int:
    """E-mail the supervisors about each unmet deadline whose time is half gone, once each: the mark and
    the e-mail owed are written in one transaction, taken only by the run that sets the mark."""
    now = now or timezone.now()
    warned = 0
    running = Incident.objects.filter(
        report_due_at__isnull=False, reported_at__isnull=True, halfway_warned_at__isnull=True
    ).select_related("model")
    for incident in running:
        if halfway(incident) > now:
            continue
        with transaction.atomic():
            taken = Incident.objects.filter(
                pk=incident.pk, reported_at__isnull=True, halfway_warned_at__isnull=True
            ).update(halfway_warned_at=now)
            if taken:
                deadline_halfway_email_owe(incident=incident, now=now)
                warned += 1
    if warned:
        log_event(logger, "incident.deadlines_warned", count=warned)
    return warned
