from django.db import models
from django.utils.translation import gettext_lazy as _

from claims.models import Channel, Claim
from recalls.models import ProductModel, Recall, RecalledBatch, validate_country


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
    channel = models.CharField(max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(
        auto_now_add=True,
        db_index=True,
        help_text="When the programme learnt of it: deadlines run from here.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def serious(self) -> bool:
        """A fire, an explosion, or someone hurt: the regulators' reporting deadlines apply."""
        return self.injury or self.kind in {self.Kind.FIRE, self.Kind.EXPLOSION}
