import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .countries import country_label, is_country, is_eu_eea
from .serials import MAX_SERIAL_LENGTH


def validate_country(value: str) -> None:
    if not is_country(value):
        raise ValidationError(f"{value!r} is not an ISO 3166-1 alpha-2 country code.")


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"Not a valid regular expression: {exc}") from exc


class Remedy(models.TextChoices):
    REPLACEMENT = "replacement", _("Replacement unit")
    GIFT_CARD = "gift_card", _("Gift card")
    REFUND = "refund", _("Refund")


class ProductModel(models.Model):
    model_number = models.CharField(
        max_length=32, unique=True, help_text="As printed on the unit, e.g. A1263."
    )
    name = models.CharField(max_length=200)
    serial_format = models.CharField(
        max_length=200,
        validators=[validate_regex],
        help_text="Regular expression a normalised serial of this model matches in full "
        "(upper case, no spaces or dashes, 0 and 1 rather than O and I).",
    )
    is_demo = models.BooleanField(default=False, help_text="Demo data, not a real product.")

    class Meta:
        ordering = ["model_number"]

    def __str__(self) -> str:
        return f"{self.model_number} {self.name}"

    def accepts_serial(self, serial: str) -> bool:
        return re.fullmatch(self.serial_format, serial) is not None


def claims_open_until(deadline: datetime.date | None, *, today: datetime.date | None = None) -> bool:
    """New claims are taken until the end of the deadline's day, UTC."""
    today = today or datetime.datetime.now(datetime.UTC).date()
    return deadline is None or today <= deadline


class Recall(models.Model):
    code = models.SlugField(max_length=64, unique=True, help_text="e.g. ANKER-2025-06-A1263")
    title = models.CharField(max_length=200)
    hazard = models.TextField()
    announced_on = models.DateField()
    claim_deadline = models.DateField(
        null=True, blank=True, help_text="The last day (UTC) new claims are taken; empty: no deadline."
    )
    active = models.BooleanField(default=True)
    is_demo = models.BooleanField(default=False, help_text="Demo data, not a real recall programme.")
    models = models.ManyToManyField(ProductModel, related_name="recalls", blank=True)

    class Meta:
        ordering = ["-announced_on", "code"]

    def __str__(self) -> str:
        return self.code

    def claims_open(self, *, today: datetime.date | None = None) -> bool:
        return claims_open_until(self.claim_deadline, today=today)


class MarketRule(models.Model):
    """What a recall offers customers in one country."""

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="market_rules")
    country = models.CharField(max_length=2, validators=[validate_country], help_text="ISO 3166-1 alpha-2")
    offers_replacement = models.BooleanField(default=False)
    offers_gift_card = models.BooleanField(default=False)
    offers_refund = models.BooleanField(default=False)
    gift_card_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    gift_card_currency = models.CharField(max_length=3, blank=True)
    refund_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    refund_currency = models.CharField(max_length=3, blank=True)
    replacement_model = models.ForeignKey(
        ProductModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The model shipped as a replacement; may be a better model. Empty: the same model.",
    )
    disposal_before_remedy = models.BooleanField(
        default=False, help_text="Hold the remedy until a recycling centre confirms the unit's disposal."
    )
    product_photo_required = models.BooleanField(
        default=False,
        help_text='A claim must carry a photo of the unit with "RECALLED" written on it.',
    )
    return_by_mail = models.BooleanField(
        default=False,
        help_text="Return kits are offered: where no certified centre is near, or the unit is damaged or swollen.",
    )

    class Meta:
        ordering = ["recall", "country"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "country"], name="one_market_rule_per_country"),
            models.CheckConstraint(
                condition=Q(offers_replacement=True) | Q(offers_gift_card=True) | Q(offers_refund=True),
                name="market_rule_offers_a_remedy",
            ),
            models.CheckConstraint(
                condition=Q(offers_gift_card=False) | (Q(gift_card_amount__gt=0) & ~Q(gift_card_currency="")),
                name="gift_card_has_value",
            ),
            models.CheckConstraint(
                condition=Q(offers_refund=False) | (Q(refund_amount__gt=0) & ~Q(refund_currency="")),
                name="refund_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recall.code} / {self.country}"

    def clean(self) -> None:
        # GPSR Art. 37: in the EU and the EEA a recall offers the consumer at least two remedies.
        if is_eu_eea(self.country) and len(self.remedies) < 2:
            raise ValidationError(
                _(
                    "In %(country)s (EU/EEA) a recall must offer at least two remedies among replacement, "
                    "gift card and refund (GPSR Art. 37)."
                )
                % {"country": country_label(self.country)}
            )

    @property
    def remedies(self) -> list[str]:
        offered = [
            (self.offers_replacement, Remedy.REPLACEMENT),
            (self.offers_gift_card, Remedy.GIFT_CARD),
            (self.offers_refund, Remedy.REFUND),
        ]
        return [str(remedy) for on, remedy in offered if on]


class RecalledBatch(models.Model):
    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="batches")
    model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, related_name="batches")
    name = models.CharField(max_length=200)
    manufactured_from = models.DateField(null=True, blank=True)
    manufactured_to = models.DateField(null=True, blank=True)
    cell_vendor = models.CharField(max_length=200, blank=True)
    listed_serials = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="Serials listed explicitly, kept by the import."
    )

    class Meta:
        ordering = ["recall", "model", "name"]
        verbose_name_plural = "recalled batches"
        constraints = [
            models.UniqueConstraint(
                fields=["recall", "model", "name"], name="batch_name_unique_per_recall_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recall.code} / {self.model.model_number} / {self.name}"


class BatchMarket(models.Model):
    """A country the batch was sold in: only customers there are covered by it."""

    batch = models.ForeignKey(RecalledBatch, on_delete=models.CASCADE, related_name="markets")
    country = models.CharField(max_length=2, validators=[validate_country])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "country"], name="batch_market_unique")]

    def __str__(self) -> str:
        return self.country


class SerialRange(models.Model):
    """A fixed prefix followed by a decimal number of fixed width, inclusive at both ends."""

    batch = models.ForeignKey(RecalledBatch, on_delete=models.CASCADE, related_name="ranges")
    prefix = models.CharField(max_length=MAX_SERIAL_LENGTH)
    width = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    start = models.BigIntegerField(validators=[MinValueValidator(0)])
    end = models.BigIntegerField(validators=[MinValueValidator(0)])

    class Meta:
        indexes = [models.Index(fields=["prefix", "width"], name="serial_range_prefix")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="serial_range_ordered"),
            models.CheckConstraint(condition=Q(start__gte=0), name="serial_range_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.first_serial}–{self.last_serial}"

    def clean(self) -> None:
        if self.start is not None and self.end is not None and self.width:
            if self.end < self.start:
                raise ValidationError("The range ends before it starts.")
            if len(str(self.end)) > self.width:
                raise ValidationError(f"{self.end} does not fit in {self.width} digits.")

    @property
    def units(self) -> int:
        return self.end - self.start + 1

    @property
    def first_serial(self) -> str:
        return f"{self.prefix}{self.start:0{self.width}d}"

    @property
    def last_serial(self) -> str:
        return f"{self.prefix}{self.end:0{self.width}d}"


class RecalledSerial(models.Model):
    """One serial listed explicitly in a batch. Millions of rows: bulk-imported, never loaded whole."""

    # One index only, the primary key, which also keeps a serial listed once per recall and model and
    # looks serials up by (model, serial); no foreign-key constraints. Each further index (a surrogate
    # id's) or per-row constraint check slows the bulk import of millions of rows. The import service
    # is the one writer and keeps them consistent; deleting a batch deletes its serials through Django.
    pk = models.CompositePrimaryKey("model", "serial", "recall")
    batch = models.ForeignKey(
        RecalledBatch, on_delete=models.CASCADE, related_name="serials", db_index=False, db_constraint=False
    )
    recall = models.ForeignKey(
        Recall, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    model = models.ForeignKey(
        ProductModel, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    serial = models.CharField(max_length=MAX_SERIAL_LENGTH)

    def __str__(self) -> str:
        return self.serial
