import hashlib
import hmac

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models import Claim
from recalls.models import validate_country


def hash_facility_token(token: str) -> str:
    """Facility tokens are 256 random bits: SHA-256 keeps them unreadable at rest and is quick to look up."""
    return hashlib.sha256(token.encode()).hexdigest()


class RecyclingFacilityQuerySet(models.QuerySet):
    def certified(self):
        """Active, accepting lithium-ion, with at least one certification that has not expired."""
        valid = FacilityCertification.objects.filter(
            facility=OuterRef("pk"), expires_on__gte=timezone.localdate()
        )
        return self.filter(active=True, accepts_lithium_ion=True).filter(Exists(valid))


class RecyclingFacility(models.Model):
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2, validators=[validate_country])
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accepts_lithium_ion = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    is_demo = models.BooleanField(default=False)
    api_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_rotated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RecyclingFacilityQuerySet.as_manager()
    # Set on the facilities a nearest-centres search returns: kilometres from the point asked about.
    distance_km: float | None = None

    class Meta:
        verbose_name_plural = "recycling facilities"
        ordering = ["country", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90, latitude__lte=90) & Q(longitude__gte=-180, longitude__lte=180)),
                name="facility_position_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    # A facility is the authenticated party of the partner API (DRF's request.user).
    is_authenticated = True
    is_anonymous = False

    def token_matches(self, token: str) -> bool:
        return hmac.compare_digest(self.api_token_hash, hash_facility_token(token))

    def is_certified(self) -> bool:
        return (
            self.active
            and self.accepts_lithium_ion
            and self.certifications.filter(expires_on__gte=timezone.localdate()).exists()
        )


class FacilityCertification(models.Model):
    facility = models.ForeignKey(RecyclingFacility, on_delete=models.CASCADE, related_name="certifications")
    scheme = models.CharField(max_length=60, help_text="e.g. R2, e-Stewards, a battery take-back scheme")
    number = models.CharField(max_length=100)
    expires_on = models.DateField()

    class Meta:
        ordering = ["-expires_on"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "scheme", "number"], name="certification_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.number} (until {self.expires_on})"

    @property
    def is_valid(self) -> bool:
        return self.expires_on >= timezone.localdate()


class DisposalConfirmation(models.Model):
    """A certified facility took the recalled unit back. One per claim: a unit is disposed of once."""

    class Condition(models.TextChoices):
        INTACT = "intact", _("Intact")
        DAMAGED = "damaged", _("Damaged")
        SWOLLEN = "swollen", _("Swollen")

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="disposal")
    facility = models.ForeignKey(RecyclingFacility, on_delete=models.PROTECT, related_name="confirmations")
    serial_observed = models.CharField(max_length=32)
    condition = models.CharField(max_length=10, choices=Condition.choices)
    received_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["facility", "created_at"], name="confirmation_by_facility")]

    def __str__(self) -> str:
        return f"{self.claim} at {self.facility}"


class ReturnKit(models.Model):
    """A return kit ordered for a claim from the kit provider: a fire-safe bag and a box labelled for
    ground transport of a damaged lithium-ion battery (UN3480), with a return label to a certified
    centre. One per claim; the centre's confirmation of the unit marks it returned."""

    class Status(models.TextChoices):
        ORDERED = "ordered", _("Ordered")
        SHIPPED = "shipped", _("Shipped")
        RETURNED = "returned", _("Returned")

    class Reason(models.TextChoices):
        NO_CENTRE_NEAR = "no_centre_near", "No certified centre near the customer"
        DAMAGED = "damaged", "The unit is damaged"
        SWOLLEN = "swollen", "The unit is swollen"

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="return_kit")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ORDERED)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    return_to = models.ForeignKey(
        RecyclingFacility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="return_kits",
        help_text="The certified centre on the return label; empty: the kit provider's own return address.",
    )
    tracking_number = models.CharField(max_length=100, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    ordered_at = models.DateTimeField(default=timezone.now)
    shipped_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        indexes = [models.Index(fields=["status", "shipped_at"], name="return_kit_by_status")]

    def __str__(self) -> str:
        return f"Return kit for {self.claim}"
