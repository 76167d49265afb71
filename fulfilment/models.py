"""The remedies issued: one per claim, of the kind the customer chose.

The tables keep the names they had when claims held them (``claims_giftcard``, ...): the rows are the
same, only the app that owns them moved.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from claims.models import Claim
from recalls.models import ProductModel


class GiftCard(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REDEEMED = "redeemed", _("Redeemed")
        VOID = "void", _("Void")

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="gift_card")
    code = models.CharField(max_length=16, unique=True, help_text="Crockford base32, 80 random bits.")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    issued_at = models.DateTimeField(auto_now_add=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "claims_giftcard"

    def __str__(self) -> str:
        return f"gift card for {self.claim_id} ({self.masked_code})"

    @property
    def display_code(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, 16, 4))

    @property
    def masked_code(self) -> str:
        return f"****-****-****-{self.code[-4:]}"


class Replacement(models.Model):
    class Shipping(models.TextChoices):
        PENDING = "pending", "Waiting for the warehouse"
        SHIPPED = "shipped", "Shipped"

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="replacement")
    model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, related_name="+")
    ship_to_name = models.CharField(max_length=200)
    ship_to_address = models.TextField()
    ship_to_country = models.CharField(max_length=2)
    shipping_status = models.CharField(max_length=10, choices=Shipping.choices, default=Shipping.PENDING)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    ordered_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "claims_replacement"
        indexes = [models.Index(fields=["shipping_status", "ordered_at"], name="replacement_open")]

    def __str__(self) -> str:
        return f"replacement {self.model.model_number} for {self.claim_id}"


class Refund(models.Model):
    class Payout(models.TextChoices):
        PENDING = "pending", "Waiting for finance"
        PAID = "paid", "Paid"

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="refund")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    payout_status = models.CharField(max_length=10, choices=Payout.choices, default=Payout.PENDING)
    payout_reference = models.CharField(max_length=80, blank=True)
    instructed_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "claims_refund"
        indexes = [models.Index(fields=["payout_status", "instructed_at"], name="refund_open")]
        permissions = [("export_refunds", "Can export and settle refunds")]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} for {self.claim_id}"
