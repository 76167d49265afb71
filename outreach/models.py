"""Known owners of recalled units and the recall notices sent to them, campaign by campaign, in waves.

A notice is a row, planned for every owner a wave reaches and sent from the database, so that each owner
hears once per wave whatever happens to the workers or the broker (``services.py``).
"""

from django.db import models
from django.db.models import Q

from claims.models import Claim
from recalls.models import ProductModel, Recall, validate_country


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    LETTER = "letter", "Letter"
    CALL = "call", "Phone call"


# The order a notice falls back in when an owner cannot be reached on the wave's channel.
CHANNEL_ORDER = [Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.CALL]


class KnownOwner(models.Model):
    """An owner the programme knows of (a retailer's order, a product registration). Used for safety
    notices only (GPSR Art. 35(2)), seen by supervisors only, erased with the claims' retention."""

    # Millions of rows, written by the import (which checks both): no foreign-key check per row at
    # commit, and no index of their own (the market's and the unit's indexes start with them).
    recall = models.ForeignKey(
        Recall, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    source = models.CharField(
        max_length=100, blank=True, help_text="The file's origin: a retailer, registrations."
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, validators=[validate_country])
    serial = models.CharField(max_length=32, blank=True, help_text="Normalised; empty if not known.")
    purchased_on = models.DateField(null=True, blank=True)
    # False: the serial is known and outside every batch recalled in the owner's country. Kept (the
    # retailer sold it), never notified.
    covered = models.BooleanField(default=True)
    # The row as imported, normalised: a row already known for the recall is skipped.
    row_key = models.CharField(max_length=64, editable=False)
    # The contact as the claims compare it (``claims.contacts``): an owner who claimed is not notified again.
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    email_bounced = models.BooleanField(
        default=False, help_text="A hard bounce: notices go by the next channel."
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "known owner"
        constraints = [models.UniqueConstraint(fields=["recall", "row_key"], name="known_owner_row_once")]
        indexes = [
            models.Index(fields=["recall", "country"], name="known_owner_market"),
            models.Index(fields=["email_key"], name="known_owner_email_key"),
            models.Index(fields=["model", "serial"], name="known_owner_unit"),
            models.Index(fields=["imported_at"], name="known_owner_imported"),
        ]

    def __str__(self) -> str:
        return f"{self.recall.code} owner {self.pk}"


class Campaign(models.Model):
    """The recall notices of one recall in one market."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="campaigns")
    country = models.CharField(max_length=2, validators=[validate_country])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    daily_limit = models.PositiveIntegerField(
        default=100_000, help_text="Notices sent per day at most, over all channels."
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_demo = models.BooleanField(default=False, help_text="Demo data, not a real campaign.")
    # The daily limit's count: notices taken for sending on ``sending_day`` (the campaign's row is locked
    # while a sender takes its share, so two senders never exceed it).
    sending_day = models.DateField(null=True, blank=True, editable=False)
    sent_that_day = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recall", "country"], name="one_campaign_per_market")]
        permissions = [("run_campaign", "Can start, pause and resume recall notice campaigns")]

    def __str__(self) -> str:
        return f"{self.recall.code} {self.country}"


# The wave plan a campaign starts with: (day, channel).
DEFAULT_WAVES = [(0, Channel.EMAIL), (7, Channel.SMS), (21, Channel.LETTER), (45, Channel.CALL)]


class Wave(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="waves")
    number = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    day = models.PositiveSmallIntegerField(help_text="Days after the campaign's start.")
    planned_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its notices were written, one per owner."
    )

    class Meta:
        ordering = ["campaign", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="wave_number_once")]

    def __str__(self) -> str:
        return f"{self.campaign} wave {self.number} ({self.get_channel_display()}, day {self.day})"


class Notice(models.Model):
    """One owner's notice in one wave: planned, then sent once from here."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed after all attempts"
        STOPPED = "stopped", "Stopped (claimed or handed in)"

    # No index of their own: the unique (wave, owner) index starts with the wave, and the partial index
    # below holds the claimed ones; every index costs each notice marked sent a write.
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="notices", db_index=False)
    owner = models.ForeignKey(KnownOwner, on_delete=models.CASCADE, related_name="notices")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # A sender holds the notice until then; past it another may take it (the sender died).
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "owner"], name="one_notice_per_owner_per_wave")
        ]
        indexes = [
            models.Index(fields=["wave", "id"], condition=Q(status="pending"), name="notice_pending"),
            models.Index(fields=["claim"], condition=Q(claim__isnull=False), name="notice_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.wave} notice {self.pk}"


class CallListEntry(Notice):
    """A notice given by phone, as the call list shows it: the notices' own permissions apply."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = "call to make"
        verbose_name_plural = "calls to make"
