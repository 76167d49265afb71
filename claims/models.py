import datetime
import hashlib
import hmac
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recalls.models import ProductModel, Recall, Remedy, validate_country

from .labels import LabelCheck


class ClaimStatus(models.TextChoices):
    NEEDS_REVIEW = "needs_review", _("Needs review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    AWAITING_DISPOSAL = "awaiting_disposal", _("Awaiting disposal")
    FULFILLING = "fulfilling", _("Fulfilling")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


# The one place that says which status may follow which (see services.claim_transition).
TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.NEEDS_REVIEW: frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.CANCELLED}),
    ClaimStatus.APPROVED: frozenset(
        {
            ClaimStatus.AWAITING_DISPOSAL,
            ClaimStatus.FULFILLING,
            ClaimStatus.CANCELLED,
            ClaimStatus.NEEDS_REVIEW,
        }
    ),
    ClaimStatus.AWAITING_DISPOSAL: frozenset(
        {ClaimStatus.FULFILLING, ClaimStatus.CANCELLED, ClaimStatus.NEEDS_REVIEW}
    ),
    ClaimStatus.FULFILLING: frozenset({ClaimStatus.FULFILLED}),
    ClaimStatus.REJECTED: frozenset(),
    ClaimStatus.FULFILLED: frozenset(),
    ClaimStatus.CANCELLED: frozenset(),
}
# Claims in these statuses no longer hold their serial: the unit may be claimed again.
RELEASED_STATUSES = (ClaimStatus.REJECTED, ClaimStatus.CANCELLED)
# A remedy may be due in these statuses: the remedy sweep watches claims in them.
REMEDY_DUE_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.FULFILLING)
# Final statuses: the claim is closed, and the retention clock runs from the moment it closed.
CLOSED_STATUSES = (ClaimStatus.REJECTED, ClaimStatus.FULFILLED, ClaimStatus.CANCELLED)


def hash_token(token: str) -> str:
    """Access tokens are 256 random bits: a plain SHA-256 is enough to keep them unreadable at rest."""
    return hashlib.sha256(token.encode()).hexdigest()


class Channel(models.TextChoices):
    """Where a customer reached the programme: counted by channel in the regulator's monthly report."""

    WEB = "web", _("web form")
    API = "api", _("API")


class UnitCondition(models.TextChoices):
    """The unit as the customer describes it: a damaged or swollen one may not be carried to a centre."""

    INTACT = "intact", _("intact")
    DAMAGED = "damaged", _("damaged")
    SWOLLEN = "swollen", _("swollen")


class Claim(models.Model):
    reference = models.CharField(max_length=16, unique=True, editable=False)
    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="claims")
    model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, related_name="claims")
    serial = models.CharField(max_length=32, blank=True, help_text="Normalised; empty for proof-only claims.")
    country = models.CharField(max_length=2, validators=[validate_country])
    remedy = models.CharField(max_length=16, choices=Remedy.choices)
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.NEEDS_REVIEW)
    serial_recalled = models.BooleanField(
        default=False, help_text="The serial was found in a recalled batch sold in the claim's country."
    )

    customer_name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    # The state, prefecture or province where the market's addresses have one (US, JP).
    region = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=8, default="en", help_text="For e-mails to the customer.")
    channel = models.CharField(
        max_length=8,
        choices=Channel.choices,
        blank=True,
        help_text="Empty for claims made before it was kept.",
    )
    unit_condition = models.CharField(
        max_length=8, choices=UnitCondition.choices, default=UnitCondition.INTACT
    )
    price_paid = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="As the customer states it, in the market's refund currency.",
    )
    price_paid_confirmed = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="As an agent read it on the receipt.",
    )
    # The contact as a farmer's variants of it compare equal (see contacts.py), for "claims from one
    # contact": never shown, never written to.
    email_key = models.CharField(max_length=254, editable=False, default="")
    address_key = models.CharField(max_length=300, editable=False, default="")

    # The accepted terms (the API's ``terms``): recorded at approval, the remedy is issued on them
    # whatever a market rule says later.
    terms_remedy = models.CharField(max_length=16, choices=Remedy.choices, blank=True)
    terms_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    terms_currency = models.CharField(max_length=3, blank=True)
    terms_replacement_model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)

    disposal_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a certified recycling centre confirmed it took the unit back."
    )

    # Recovery of a remedy that is due: the sweep re-queues it from ``remedy_retry_at`` on, with backoff,
    # and gives up (dead letter, shown to supervisors) after ``settings.WORK_MAX_ATTEMPTS``.
    remedy_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    remedy_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    remedy_last_error = models.CharField(max_length=300, blank=True, editable=False)
    remedy_failed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The review queue: since when the claim waits for an agent (it last entered ``needs_review``), and
    # the agent who took it from the queue, until when (see ``services.claim_take_next``).
    review_since = models.DateTimeField("in review since", null=True, blank=True, editable=False)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    held_until = models.DateTimeField(null=True, blank=True, editable=False)

    # Reminders sent while the unit was still at home (``settings.DISPOSAL_REMINDER_DAYS``).
    disposal_reminders_sent = models.PositiveSmallIntegerField(default=0, editable=False)

    access_token_hash = models.CharField(max_length=64, editable=False)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the claim reached a final status."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # duplicate_serial: one open claim per unit, held by the database so it holds under concurrency.
            models.UniqueConstraint(
                fields=["model", "serial"],
                condition=~Q(serial="") & ~Q(status__in=RELEASED_STATUSES),
                name="one_open_claim_per_serial",
            ),
        ]
        indexes = [
            models.Index(
                fields=["remedy_retry_at"],
                condition=Q(remedy_retry_at__isnull=False),
                name="claim_remedy_due",
            ),
            models.Index(
                fields=["closed_at"], condition=Q(personal_data_erased_at__isnull=True), name="claim_closed"
            ),
            models.Index(fields=["email"], name="claim_email"),
            models.Index(fields=["email_key"], name="claim_email_key"),
            models.Index(fields=["address_key"], name="claim_address_key"),
            models.Index(
                fields=["review_since", "id"],
                condition=Q(status="needs_review"),
                name="claim_review_queue",
            ),
        ]
        permissions = [
            ("review_claim", "Can approve, reject and re-review claims"),
            ("retry_work", "Can retry remedies and messages that failed after all attempts"),
        ]

    def __str__(self) -> str:
        return self.reference

    def held_by_other(self, user, *, now: datetime.datetime | None = None) -> bool:
        """Whether another agent holds the claim now (a hold past its time holds nobody)."""
        now = now or timezone.now()
        return (
            self.held_by_id is not None
            and self.held_by_id != user.pk
            and self.held_until is not None
            and self.held_until > now
        )

    def token_matches(self, token: str) -> bool:
        return hmac.compare_digest(self.access_token_hash, hash_token(token))

    @property
    def is_proof_only(self) -> bool:
        return not self.serial

    @property
    def terms(self) -> dict | None:
        """The accepted terms, as the API shows them; None until approved."""
        if not self.terms_remedy:
            return None
        model = self.terms_replacement_model
        return {
            "remedy": self.terms_remedy,
            "amount": None if self.terms_amount is None else str(self.terms_amount),
            "currency": self.terms_currency or None,
            "replacement_model": model.model_number if model is not None else None,
        }


class ClaimFlag(models.Model):
    """Why a claim needs a human look. Flags are for agents, never shown to customers."""

    class Reason(models.TextChoices):
        DUPLICATE_RECEIPT = "duplicate_receipt", "Receipt used on another claim"
        DUPLICATE_PHOTO = "duplicate_photo", "Photo used on another claim"
        MANY_CLAIMS_FROM_CONTACT = "many_claims_from_contact", "Many claims from one e-mail or address"
        NEIGHBOURING_SERIALS = "neighbouring_serials", "Neighbouring serials claimed by other contacts"
        LABEL_SERIAL_DIFFERS = "label_serial_differs", "The photo's label shows another serial"
        SERIAL_SEEN_ELSEWHERE = "serial_seen_elsewhere", "Serial seen at a facility on another claim"
        SERIAL_NOT_RECALLED = "serial_not_recalled", "Serial not in a recalled batch"
        DISPOSED_ABROAD = "disposed_abroad", "Handed in at a centre in another country"
        PRICE_TO_CONFIRM = (
            "price_to_confirm",
            "Price paid above the refund amount: confirm it from the receipt",
        )

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    related_claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.get_reason_display()


DOCUMENTS_FOLDER = "claims"


def new_document_name(content_type: str) -> str:
    """Never the customer's file name: an unguessable name in a private location, in a folder per day
    (UTC), so the sweep of files that no claim kept lists only the last few days."""
    day = timezone.now().date().isoformat()
    return f"{DOCUMENTS_FOLDER}/{day}/{uuid.uuid4().hex}{ClaimDocument.EXTENSIONS.get(content_type, '')}"


def document_path(instance: "ClaimDocument", filename: str) -> str:
    return new_document_name(instance.content_type)


def document_storage():
    return ClaimDocument._meta.get_field("file").storage


class ClaimDocument(models.Model):
    class Kind(models.TextChoices):
        PROOF_OF_PURCHASE = "proof_of_purchase", "Proof of purchase"
        PRODUCT_PHOTO = "product_photo", "Product photo"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=document_path, max_length=200)
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64, db_index=True, help_text="Of the bytes received.")
    size = models.PositiveIntegerField(help_text="Bytes received.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    content_sha256 = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="PDFs: of what the pages draw, however saved."
    )
    fingerprint = models.CharField(
        max_length=16, blank=True, help_text="Photos of the unit: perceptual hash of the picture, in hex."
    )
    # The fingerprint's four 16-bit quarters: two fingerprints at most 3 bits apart share one of them
    # exactly, so near copies are found through these indexes.
    fingerprint_band_0 = models.PositiveIntegerField(null=True, editable=False)
    fingerprint_band_1 = models.PositiveIntegerField(null=True, editable=False)
    fingerprint_band_2 = models.PositiveIntegerField(null=True, editable=False)
    fingerprint_band_3 = models.PositiveIntegerField(null=True, editable=False)
    label_check = models.CharField(
        max_length=12, choices=LabelCheck.choices, blank=True, help_text="Product photos: the label's serial."
    )
    label_serial = models.CharField(max_length=32, blank=True, help_text="The serial read on the label.")
    created_at = models.DateTimeField(auto_now_add=True)

    FINGERPRINT_BANDS = 4

    EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}

    class Meta:
        ordering = ["kind", "created_at"]
        constraints = [models.UniqueConstraint(fields=["claim", "kind"], name="one_document_per_kind")]
        indexes = [
            models.Index(fields=[f"fingerprint_band_{band}"], name=f"document_fingerprint_{band}")
            for band in range(4)
        ]

    def __str__(self) -> str:
        return f"{self.claim.reference} {self.get_kind_display()}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @staticmethod
    def fingerprint_bands(fingerprint: str) -> dict[str, int]:
        """The band columns of a fingerprint (64 bits in hex); none for an empty one."""
        if len(fingerprint) != 16:
            return {}
        return {
            f"fingerprint_band_{band}": int(fingerprint[band * 4 : band * 4 + 4], 16) for band in range(4)
        }


class ReplyTemplate(models.Model):
    """A canned text agents send a customer: a rejection's reason or a message. Supervisors write it once
    per language (django-modeltranslation, ``claims/translation.py``); the customer receives the claim's
    language, or English where that one is not written."""

    class Kind(models.TextChoices):
        REJECTION = "rejection", "Rejection reason"
        MESSAGE = "message", "Message to the customer"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=100, help_text="What agents pick it by; never sent.")
    text = models.TextField(help_text="Sent to the customer as written here, in the claim's language.")
    active = models.BooleanField(default=True, help_text="Offered to agents.")

    class Meta:
        ordering = ["kind", "title"]
        verbose_name = "canned reason"
        constraints = [models.UniqueConstraint(fields=["kind", "title"], name="reply_template_title_unique")]

    def __str__(self) -> str:
        return self.title

    def text_in(self, language: str) -> str:
        with translation.override(language):
            return self.text


class ReviewSettings(models.Model):
    """What the supervisors set for the review queue: one row (``ReviewSettings.load()``)."""

    target_hours = models.PositiveSmallIntegerField(
        default=48, help_text="Service target: a claim in review is decided within this many hours."
    )

    class Meta:
        verbose_name = verbose_name_plural = "review settings"

    def __str__(self) -> str:
        return "Review settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "ReviewSettings":
        return cls.objects.get_or_create(pk=1)[0]


class ClaimEvent(models.Model):
    """The claim's timeline: every status change and decision. Append-only.

    A note is either free text, shown as written (an agent's reason: ``note_params`` is null), or a
    message of the system: an English msgid, marked with ``gettext_noop`` where it is written, whose
    named placeholders take their values from ``note_params``. ``display_note`` shows either to a person,
    the system's messages in the active language.
    """

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        STATUS_CHANGED = "status_changed", _("Status changed")
        FLAGGED = "flagged", _("Flagged for review")
        REMEDY_ISSUED = "remedy_issued", _("Remedy issued")
        DISPOSAL_CONFIRMED = "disposal_confirmed", _("Disposal confirmed")
        NOTE = "note", _("Note")

    class Actor(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Support agent"
        SYSTEM = "system", "System"
        FACILITY = "facility", "Recycling facility"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor_kind = models.CharField(max_length=10, choices=Actor.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    old_status = models.CharField(max_length=20, choices=ClaimStatus.choices, blank=True)
    new_status = models.CharField(max_length=20, choices=ClaimStatus.choices, blank=True)
    note = models.TextField(blank=True)
    note_params = models.JSONField(
        null=True,
        blank=True,
        help_text="Null: the note is free text. Otherwise the note is a message and these its placeholders.",
    )
    public = models.BooleanField(default=True, help_text="Shown to the customer on the claim's timeline.")
    # What an agent wrote to the customer: from a canned reason, in the agent's own words, or both.
    reply_template = models.ForeignKey(
        ReplyTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    free_text = models.BooleanField(default=False, help_text="The note holds words an agent wrote.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        # The timeline of one claim, in order, without a scan of every claim's events.
        indexes = [models.Index(fields=["claim", "created_at", "id"], name="claim_event_timeline")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.kind} {self.old_status}->{self.new_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Claim events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Claim events are append-only.")

    @property
    def display_note(self) -> str:
        """The note as a person reads it: a system message in the active language, free text as written."""
        if self.note_params is None or not self.note:
            return self.note
        params = {
            # Amounts are stored as decimal strings and shown in the active language's format.
            name: formats.number_format(Decimal(value), 2, use_l10n=True) if name == "amount" else value
            for name, value in self.note_params.items()
        }
        return gettext(self.note) % params
