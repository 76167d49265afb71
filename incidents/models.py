import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models import Channel, Claim
from recalls.models import ProductModel, Recall, RecalledBatch, validate_country

PHOTOS_FOLDER = "incidents"
PHOTO_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def new_photo_name(content_type: str) -> str:
    """As a claim's documents: never the customer's file name, a private folder per day (UTC)."""
    day = timezone.now().date().isoformat()
    return f"{PHOTOS_FOLDER}/{day}/{uuid.uuid4().hex}{PHOTO_EXTENSIONS.get(content_type, '')}"


def photo_path(instance: "Incident", filename: str) -> str:
    return new_photo_name(instance.photo_content_type)


class IncidentStatus(models.TextChoices):
    """Where the programme's handling of a report stands; the API answers the first."""

    RECEIVED = "received", "Received"
    TRIAGED = "triaged", "Triaged"
    REPORTED = "reported", "Reported to the regulator"
    CLOSED = "closed", "Closed"


class Severity(models.TextChoices):
    """The supervisor's assessment, beside the rule that makes a report serious (fire, explosion, injury)."""

    MINOR = "minor", "Minor: the unit only (heat, smell, swelling)"
    MODERATE = "moderate", "Moderate: smoke, melting, damage around the unit"
    SEVERE = "severe", "Severe: fire, explosion, property damage"
    CRITICAL = "critical", "Critical: someone hurt"


class Incident(models.Model):
    """A customer's report of a unit that overheated, smoked, melted, burnt or exploded."""

    class Kind(models.TextChoices):
        OVERHEATING = "overheating", _("overheating")
        SMOKE = "smoke", _("smoke")
        MELTING = "melting", _("melting")
        FIRE = "fire", _("fire")
        EXPLOSION = "explosion", _("explosion")
        OTHER = "other", _("other")

    reference = models.CharField(max_length=16, unique=True, editable=False)
    recall = models.ForeignKey(
        Recall,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        help_text="The recall covering the model in the country, where one does.",
    )
    model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, related_name="incidents")
    serial = models.CharField(max_length=32, blank=True, help_text="Normalised; empty when not given.")
    batch = models.ForeignKey(
        RecalledBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        help_text="The recalled batch the serial is in, where it is in one.",
    )
    country = models.CharField(max_length=2, validators=[validate_country])
    kind = models.CharField(max_length=12, choices=Kind.choices)
    injury = models.BooleanField(default=False)
    property_damage = models.BooleanField(default=False)
    occurred_on = models.DateField()
    description = models.TextField()
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=8, default="en")
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    claim_reference = models.CharField(
        max_length=16,
        blank=True,
        help_text="The claim reference the customer gave, normalised; linked as the claim when it names "
        "one of theirs (same e-mail or same unit).",
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    photo = models.FileField(upload_to=photo_path, max_length=200, blank=True)
    photo_content_type = models.CharField(max_length=40, blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True, help_text="Of the bytes received.")
    is_demo = models.BooleanField(default=False, help_text="Demo data, not a real report.")
    created_at = models.DateTimeField(
        auto_now_add=True,
        db_index=True,
        help_text="When the programme learnt of it: deadlines run from here.",
    )

    # Triage, by supervisors.
    status = models.CharField(max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.RECEIVED)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    findings = models.TextField(
        "what happened", blank=True, help_text="What the programme established: cause, circumstances."
    )
    follow_up = models.TextField(
        blank=True, help_text="What is done next: the unit collected for analysis, the customer called back."
    )
    regulator_reference = models.CharField(
        max_length=100, blank=True, help_text="The regulator's reference once the report is filed."
    )
    report_rule = models.CharField(
        max_length=120, blank=True, help_text="The reporting duty of its market, for a serious incident."
    )
    report_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the report to the regulator is due; empty if none is."
    )
    reported_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was reported to the regulator: the deadline is met."
    )
    halfway_warned_at = models.DateTimeField(
        null=True, blank=True, help_text="When supervisors were warned that half of the time was gone."
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The deadlines still running: the admin's index and the half-time sweep read only these.
            models.Index(
                fields=["report_due_at"],
                condition=Q(report_due_at__isnull=False, reported_at__isnull=True),
                name="incident_deadline_open",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def serious(self) -> bool:
        """A fire, an explosion, or someone hurt: the regulators' reporting deadlines apply."""
        return self.injury or self.kind in {self.Kind.FIRE, self.Kind.EXPLOSION}

    @property
    def deadline_met(self) -> bool:
        return self.reported_at is not None
