"""Every write to a claim, and the rules that decide it."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, TextChoices
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.errors import ApplicationError, Conflict, NotFound, Refused, in_sentence
from core.recovery import log_event, retry_at
from core.throttling import key_rate_limit_wait
from recalls.countries import country_label
from recalls.models import MarketRule, ProductModel, Recall, Remedy
from recalls.selectors import CoveringRecall, SerialLookup, market_rule_get, recall_for_model_in_country
from recalls.services import serial_lookup_require

from . import extensions, fraud
from .addresses import address_format, postal_code_normalise, region_normalise
from .contacts import address_key, email_key, phone_e164, phone_example
from .dispatch import remedy_issue_after_commit
from .labels import LabelReading, serial_on_label
from .models import (
    CLOSED_STATUSES,
    RELEASED_STATUSES,
    REMEDY_DUE_STATUSES,
    TRANSITIONS,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimFlag,
    ClaimStatus,
    ReplyTemplate,
    UnitCondition,
    document_storage,
    hash_token,
    new_document_name,
)
from .notifications import STATUS_EMAILS
from .outbox import claim_email_owe
from .references import new_access_token, new_claim_reference, normalise_reference
from .uploads import CleanUpload, clean_upload

logger = logging.getLogger(__name__)

Actor = ClaimEvent.Actor


# Control characters (CR, LF, tab, NUL, ...) and the Unicode line and paragraph separators: in a name or
# an address they would start new lines in the e-mails sent from the programme's own address.
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SINGLE_LINE_FIELDS = (
    "name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "serial",
)
_REQUIRED_FIELDS = ("name", "email", "address_line1", "city", "postal_code")


def single_line(text: str) -> str:
    """The text on one line: control characters become spaces, runs of spaces one, ends trimmed."""
    return " ".join(_NOT_ONE_LINE.sub(" ", text).split())


def _one_line_submission(submission: ClaimSubmission) -> ClaimSubmission:
    cleaned: dict[str, Any] = {name: single_line(getattr(submission, name)) for name in _SINGLE_LINE_FIELDS}
    empty = [name for name in _REQUIRED_FIELDS if not cleaned[name]]
    if empty:
        raise ApplicationError.invalid_fields({name: [_("This field may not be blank.")] for name in empty})
    return dataclasses.replace(submission, **cleaned)


def normalise_email(email: str) -> str:
    """Stored lower-cased: one customer, one address, however they typed it."""
    return email.strip().lower()


def _validation_error(field_name: str, message: str) -> ApplicationError:
    return ApplicationError.invalid_fields({field_name: [message]})


def _address_require(submission: ClaimSubmission, *, country: str) -> ClaimSubmission:
    """The postal code and region as the market writes them, or ``validation_error`` on the field."""
    postal_code = postal_code_normalise(country, submission.postal_code)
    if postal_code is None:
        example = address_format(country).postal_example
        raise _validation_error(
            "postal_code",
            (
                _("This is not a postal code of %(country)s, such as %(example)s.")
                if example
                else _("This is not a postal code of %(country)s.")
            )
            % {"country": country_label(country), "example": example},
        )
    region = ""
    if submission.region.strip():
        region = region_normalise(country, submission.region) or ""
        if not region:
            raise _validation_error(
                "region",
                _("%(region)s is not a region of %(country)s.")
                % {"region": repr(submission.region.strip()), "country": country_label(country)},
            )
    return dataclasses.replace(submission, postal_code=postal_code, region=region)


def _phone_require(phone: str, *, country: str) -> str:
    """The phone number in E.164, or ``validation_error`` on ``phone`` if it is none of the country's
    (nor another country's written with its country code)."""
    e164 = phone_e164(phone, country=country)
    if e164 is None:
        raise _validation_error(
            "phone",
            _(
                "Enter a valid phone number for %(country)s, such as %(example)s, or one of another "
                "country with its country code (+...)."
            )
            % {"country": country_label(country), "example": phone_example(country)},
        )
    return e164


# --- Status changes -------------------------------------------------------------------------------


def claim_transition(
    *,
    claim: Claim,
    to: str,
    actor_kind: str,
    actor_id: str = "",
    note: str = "",
    note_params: dict[str, str] | None = None,
    public: bool = True,
    remedy_due: bool = False,
    words: AgentWords | None = None,
) -> Claim:
    """Move a claim to ``to`` if the transition table allows it, writing its event.

    ``note`` is a message of the system with ``note_params`` (see ``ClaimEvent``), or free text; an
    agent's ``words`` (the note, and where it came from) take its place.
    ``remedy_due``: the claim's remedy is to be issued now (see ``claim_advance``).
    The caller holds the claim's row lock (``claim_lock``) inside a transaction.
    """
    return claim_advance(
        claim=claim,
        path=[to],
        actor_kind=actor_kind,
        actor_id=actor_id,
        note=note,
        note_params=note_params,
        public=public,
        remedy_due=remedy_due,
        words=words,
    )


def claim_advance(
    *,
    claim: Claim,
    path: Sequence[str],
    actor_kind: str,
    actor_id: str = "",
    note: str = "",
    note_params: dict[str, str] | None = None,
    public: bool = True,
    cause: Sequence[ClaimEvent] = (),
    first: Sequence[ClaimEvent] = (),
    remedy_due: bool = False,
    fields: Sequence[str] = (),
    words: AgentWords | None = None,
) -> Claim:
    """Move a claim through ``path``, every step checked against the transition table, in one write.

    One UPDATE and one INSERT of all events: the status changes, with ``cause`` (events that moved the
    claim, such as the remedy issued) written just before the last step and ``first`` (the claim's
    submission, when it is approved as it is taken) before them all. ``note`` goes on the first step.
    The same UPDATE writes the claim's other ``fields`` (set on ``claim`` by the caller), the time it
    closed, and its remedy's recovery: ``remedy_due`` has the remedy issued once this commits, with
    the sweep as a backstop; a claim whose remedy is no longer due is no longer swept. E-mails the
    customer is owed for the new status are written to the outbox in the same transaction. Any move
    releases the claim from the agent holding it; a claim back in review waits from now on.
    The caller holds the claim's row lock (``claim_lock``) inside a transaction.
    """
    events: list[ClaimEvent] = list(first)
    status = claim.status
    said = words.event_fields(claim) if words is not None else {"note": note, "note_params": note_params}
    for step, to in enumerate(path):
        if to not in TRANSITIONS[status]:
            raise Conflict(
                "invalid_transition",
                # Translators: the claim status labels, their first letter in lower case.
                _("A claim that is %(status)s cannot become %(new_status)s.")
                % {
                    "status": in_sentence(ClaimStatus(status).label),
                    "new_status": in_sentence(ClaimStatus(to).label),
                },
            )
        if step == len(path) - 1:
            events += cause
        events.append(
            ClaimEvent(
                claim=claim,
                kind=ClaimEvent.Kind.STATUS_CHANGED,
                actor_kind=actor_kind,
                actor_id=actor_id,
                old_status=status,
                new_status=to,
                public=public,
                **(said if step == 0 else {}),
            )
        )
        status = to
    now = timezone.now()
    claim.status, claim.updated_at = status, now
    changes = ["status", "updated_at", *fields]
    if status in CLOSED_STATUSES:
        claim.closed_at = now
        changes.append("closed_at")
    if status == ClaimStatus.NEEDS_REVIEW:
        claim.review_since = now
        changes.append("review_since")
    claim.held_by, claim.held_until = None, None
    changes += ["held_by", "held_until"]
    if remedy_due:
        changes += _remedy_arm(claim)
    elif status not in REMEDY_DUE_STATUSES and (claim.remedy_retry_at or claim.remedy_failed_at):
        claim.remedy_retry_at, claim.remedy_failed_at = None, None
        changes += ["remedy_retry_at", "remedy_failed_at"]
    Claim.objects.filter(pk=claim.pk).update(**{name: getattr(claim, name) for name in changes})
    ClaimEvent.objects.bulk_create(events)
    for event in events:
        if event.kind == ClaimEvent.Kind.STATUS_CHANGED and event.new_status in STATUS_EMAILS:
            claim_email_owe(claim_id=claim.pk, template=STATUS_EMAILS[event.new_status])
    if remedy_due:
        remedy_issue_after_commit(claim_id=claim.pk)
    return claim


def _remedy_arm(claim: Claim) -> list[str]:
    """Set on ``claim`` a remedy due now, with a fresh set of attempts; the fields set, for the caller's write."""
    claim.remedy_retry_at = retry_at(attempts=0, first_after_seconds=settings.REMEDY_SWEEP_AFTER_SECONDS)
    claim.remedy_attempts, claim.remedy_last_error, claim.remedy_failed_at = 0, "", None
    return ["remedy_retry_at", "remedy_attempts", "remedy_last_error", "remedy_failed_at"]


def claim_lock(*, claim_id: int) -> Claim:
    # Only the claim's row, and FOR NO KEY UPDATE: new claims and events referencing the recall, the
    # model or this claim must not wait for it.
    return (
        Claim.objects.select_for_update(of=("self",), no_key=True)
        .select_related("recall", "model", "terms_replacement_model")
        .get(pk=claim_id)
    )


def _market_rule(claim: Claim) -> MarketRule | None:
    return market_rule_get(recall=claim.recall, country=claim.country)


def _accept_terms(claim: Claim, rule: MarketRule | None) -> list[str]:
    """Set on ``claim`` the terms it will be fulfilled on, as its market offers them now.

    Returns the fields set, for the caller's UPDATE. A remedy the market no longer offers cannot be
    approved: the claim stays as it is, and the agent is told why.
    """
    if rule is None or claim.remedy not in rule.remedies:
        raise Conflict(
            "remedy_not_offered",
            _("In %(country)s this recall no longer offers the remedy the customer chose (%(remedy)s).")
            % {"country": country_label(claim.country), "remedy": Remedy(claim.remedy).label},
        )
    claim.terms_remedy = claim.remedy
    claim.terms_amount, claim.terms_currency, claim.terms_replacement_model = None, "", None
    if claim.remedy == Remedy.GIFT_CARD:
        claim.terms_amount, claim.terms_currency = rule.gift_card_amount, rule.gift_card_currency
    elif claim.remedy == Remedy.REFUND:
        claim.terms_amount, claim.terms_currency = refund_amount_due(claim, rule), rule.refund_currency
    else:
        claim.terms_replacement_model = rule.replacement_model or claim.model
    claim.terms_accepted_at = timezone.now()
    return [
        "terms_remedy",
        "terms_amount",
        "terms_currency",
        "terms_replacement_model",
        "terms_accepted_at",
    ]


def refund_price_to_confirm(claim: Claim, rule: MarketRule) -> bool:
    """A refund claim whose stated price paid is above the market's refund amount, not yet confirmed by
    an agent from the receipt: the refund must not be paid below the price, nor on an unchecked one."""
    return (
        claim.remedy == Remedy.REFUND
        and claim.price_paid_confirmed is None
        and claim.price_paid is not None
        and rule.refund_amount is not None
        and claim.price_paid > rule.refund_amount
    )


def refund_amount_due(claim: Claim, rule: MarketRule) -> Decimal:
    """A refund is at least the price paid (GPSR Art. 37): the larger of the market's refund amount and
    the price an agent confirmed; ``price_not_confirmed`` while a higher price stated is unconfirmed."""
    if refund_price_to_confirm(claim, rule):
        raise Conflict(
            "price_not_confirmed",
            _(
                "The customer states a price paid of %(price)s %(currency)s, above the refund of "
                "%(amount)s %(currency)s: confirm the price from the receipt before approving."
            )
            % {
                "price": f"{claim.price_paid:.2f}",
                "amount": f"{rule.refund_amount:.2f}",
                "currency": rule.refund_currency,
            },
        )
    amount = cast(Decimal, rule.refund_amount)
    confirmed = claim.price_paid_confirmed
    return max(amount, confirmed) if confirmed is not None else amount


def claim_price_confirm(*, claim: Claim, agent_id: str, price: Decimal) -> Claim:
    """An agent read the price paid on the receipt: the refund is at least this much. The caller holds
    the claim's row lock inside a transaction."""
    if price < 0:
        raise _validation_error("price_paid_confirmed", _("A price cannot be negative."))
    if claim.price_paid_confirmed == price:
        return claim
    claim.price_paid_confirmed = price
    Claim.objects.filter(pk=claim.pk).update(price_paid_confirmed=price, updated_at=timezone.now())
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.NOTE,
        actor_kind=Actor.AGENT,
        actor_id=agent_id,
        note=f"Price paid confirmed from the receipt: {price}.",
        public=False,
    )
    return claim


def _approve_locked(
    claim: Claim,
    *,
    actor_kind: str,
    actor_id: str = "",
    note: str = "",
    note_params: dict[str, str] | None = None,
    rule: MarketRule | None = None,
    first: Sequence[ClaimEvent] = (),
) -> Claim:
    """Approve on the market's terms of today; the remedy is due at once unless the market wants the
    unit disposed of first and no centre has confirmed it yet. ``first``: see ``claim_advance``."""
    rule = rule or _market_rule(claim)
    terms = _accept_terms(claim, rule)
    approve: dict[str, Any] = {
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "note": note,
        "note_params": note_params,
        "fields": terms,
        "first": first,
    }
    if rule is None or not rule.disposal_before_remedy:  # None: _accept_terms has refused already
        claim_advance(claim=claim, path=[ClaimStatus.APPROVED], remedy_due=True, **approve)
    elif claim.disposal_confirmed_at is not None:
        # The unit was handed in before the approval: nothing left to wait for.
        claim_advance(
            claim=claim, path=[ClaimStatus.APPROVED, ClaimStatus.FULFILLING], remedy_due=True, **approve
        )
    else:
        claim_advance(claim=claim, path=[ClaimStatus.APPROVED], **approve)
        claim_transition(
            claim=claim,
            to=ClaimStatus.AWAITING_DISPOSAL,
            actor_kind=Actor.SYSTEM,
            note=gettext_noop(
                "The remedy is issued once a certified recycling centre confirms the unit's disposal."
            ),
            note_params={},
        )
    if actor_kind == Actor.AGENT:
        # Approved after a review: the customer hears so, and what comes next. An approval at intake
        # is told in the "claim received" e-mail.
        template = "awaiting_disposal" if claim.status == ClaimStatus.AWAITING_DISPOSAL else "approved"
        claim_email_owe(claim_id=claim.pk, template=template)
    log_event(
        logger,
        "claim.approved",
        claim=claim.reference,
        actor=f"{actor_kind}:{actor_id}" if actor_id else actor_kind,
        status=claim.status,
        remedy=claim.terms_remedy,
        amount=claim.terms_amount,
        currency=claim.terms_currency,
    )
    return claim


@dataclass(frozen=True)
class AgentWords:
    """What an agent writes on a claim: a canned reason (``template``, in the claim's language), their
    own words (``text``), or both, the canned text first. Whether a customer reads it is the caller's."""

    text: str = ""
    template: ReplyTemplate | None = None

    def __bool__(self) -> bool:
        return bool(self.text.strip()) or self.template is not None

    def note_for(self, claim: Claim) -> str:
        parts = [self.template.text_in(claim.language).strip()] if self.template is not None else []
        return "\n\n".join([*parts, self.text.strip()] if self.text.strip() else parts)

    def event_fields(self, claim: Claim) -> dict[str, Any]:
        """The fields of the event that records them."""
        return {
            "note": self.note_for(claim),
            "note_params": None,
            "reply_template": self.template,
            "free_text": bool(self.text.strip()),
        }


def _agent_note(claim: Claim, *, agent_id: str, words: AgentWords, public: bool) -> ClaimEvent:
    return ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.NOTE,
        actor_kind=Actor.AGENT,
        actor_id=agent_id,
        public=public,
        **words.event_fields(claim),
    )


def claim_approve(*, claim: Claim, agent_id: str, note: str = "") -> Claim:
    """``note``: the agent's note for the team; the customer's timeline shows the approval without it."""
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        claim = _approve_locked(claim, actor_kind=Actor.AGENT, actor_id=agent_id)
        if note.strip():
            _agent_note(claim, agent_id=agent_id, words=AgentWords(text=note), public=False)
        return claim


def claim_reject(
    *, claim: Claim, agent_id: str, reason: str = "", template: ReplyTemplate | None = None
) -> Claim:
    """The reason (a canned one in the claim's language, the agent's words, or both) is e-mailed to the
    customer and shown on the claim's timeline."""
    words = AgentWords(text=reason, template=template)
    if not words:
        raise _validation_error("reason", _("Say why the claim is rejected; the customer is told."))
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        claim_transition(
            claim=claim,
            to=ClaimStatus.REJECTED,
            actor_kind=Actor.AGENT,
            actor_id=agent_id,
            words=words,
        )
    log_event(logger, "claim.rejected", claim=claim.reference, actor=f"agent:{agent_id}")
    return claim


def claim_mark_for_review(*, claim: Claim, agent_id: str, note: str = "") -> Claim:
    """Back to the review queue, with the agent's ``note`` for the team. A claim in review already goes
    to the back of the queue, released by whoever held it (a second opinion, later)."""
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        words = AgentWords(text=note)
        if claim.status == ClaimStatus.NEEDS_REVIEW:
            claim.review_since, claim.held_by, claim.held_until = timezone.now(), None, None
            claim.save(update_fields=["review_since", "held_by", "held_until", "updated_at"])
            if words:
                _agent_note(claim, agent_id=agent_id, words=words, public=False)
        else:
            claim_transition(
                claim=claim,
                to=ClaimStatus.NEEDS_REVIEW,
                actor_kind=Actor.AGENT,
                actor_id=agent_id,
                words=words if words else None,
                public=False,
            )
    log_event(logger, "claim.sent_back_to_review", claim=claim.reference, actor=f"agent:{agent_id}")
    return claim


def claim_message_send(*, claim: Claim, agent_id: str, words: AgentWords) -> ClaimEvent:
    """A message from an agent to the customer: e-mailed, and shown on the claim's timeline."""
    if not words:
        raise _validation_error("message", _("Write the message, or choose one."))
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        event = _agent_note(claim, agent_id=agent_id, words=words, public=True)
        claim_email_owe(claim_id=claim.pk, template="message", event_id=event.pk)
    log_event(logger, "claim.message_sent", claim=claim.reference, actor=f"agent:{agent_id}")
    return event


# --- The review queue -------------------------------------------------------------------------------


class Decision(TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    REVIEW = "review", "Mark for re-review"
    MESSAGE = "message", "Send the message only"


def _hold_lease() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.REVIEW_HOLD_MINUTES)


def _free(now: datetime.datetime) -> Q:
    return Q(held_until__isnull=True) | Q(held_until__lte=now)


def claim_take_next(*, agent: AbstractBaseUser, among: QuerySet[Claim] | None = None) -> Claim | None:
    """The oldest claim in review that nobody holds, now held for ``agent`` (``REVIEW_HOLD_MINUTES``);
    None when there is none. ``among``: the claims the agent's queue shows (its filter).

    A claim the agent holds already comes first, so pressing twice takes one claim. Two agents pressing
    at once take two: the row is taken by a conditional update, so only one of them can; on PostgreSQL
    a row another agent is taking is skipped (SKIP LOCKED) rather than waited for.
    """
    now = timezone.now()
    queue = Claim.objects.filter(status=ClaimStatus.NEEDS_REVIEW)
    if among is not None:
        queue = queue.filter(pk__in=among.order_by().values("pk"))
    held = queue.filter(held_by_id=agent.pk, held_until__gt=now).order_by("review_since", "pk").first()
    if held is not None:
        return claim_hold_renew(claim=held, agent=agent)
    free = queue.filter(_free(now)).order_by("review_since", "pk")
    while True:  # each lost race removes a claim from ``free``: this ends
        with transaction.atomic():
            claim_id = (
                free.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True).first()
            )
            if claim_id is None:
                return None
            taken = free.filter(pk=claim_id).update(held_by_id=agent.pk, held_until=now + _hold_lease())
        if taken:
            log_event(logger, "claim.taken", claim_id=claim_id, actor=f"agent:{agent.pk}")
            return Claim.objects.get(pk=claim_id)


def claim_hold_renew(*, claim: Claim, agent: AbstractBaseUser) -> Claim | None:
    """Another lease for the agent who holds the claim (while they work on it); None if they no longer
    do (another agent took it after their hold ran out, or it was decided)."""
    held_until = timezone.now() + _hold_lease()
    renewed = Claim.objects.filter(pk=claim.pk, status=ClaimStatus.NEEDS_REVIEW, held_by_id=agent.pk).update(
        held_until=held_until
    )
    if not renewed:
        return None
    claim.held_by_id, claim.held_until = agent.pk, held_until
    return claim


def claim_release(*, claim: Claim, agent: AbstractBaseUser) -> bool:
    """The agent gives the claim back to the queue, where it keeps its place."""
    return bool(Claim.objects.filter(pk=claim.pk, held_by_id=agent.pk).update(held_by=None, held_until=None))


def claim_decide(
    *,
    claim: Claim,
    agent: AbstractBaseUser,
    decision: str,
    message: AgentWords = AgentWords(),
    note: str = "",
    price_paid_confirmed: Decimal | None = None,
) -> Claim:
    """An agent's decision in the review workspace. ``note`` is for agents only; ``message`` reaches
    the customer: a rejection's reason, or else a message e-mailed and shown on the timeline.
    ``price_paid_confirmed``: the price the agent read on the receipt, recorded first (a refund is at
    least the price paid). Refused while another agent holds the claim."""
    if claim.held_by_other(agent):
        raise Conflict(
            "claim_held",
            _("%(reference)s is being reviewed by %(agent)s until %(time)s.")
            % {
                "reference": claim.reference,
                "agent": claim.held_by.get_username() if claim.held_by else "",
                "time": formats.time_format(timezone.localtime(claim.held_until), "H:i"),
            },
        )
    agent_id = str(agent.pk)
    with transaction.atomic():
        if price_paid_confirmed is not None:
            claim = claim_price_confirm(
                claim=claim_lock(claim_id=claim.pk), agent_id=agent_id, price=price_paid_confirmed
            )
        if decision == Decision.APPROVE:
            claim = claim_approve(claim=claim, agent_id=agent_id, note=note)
        elif decision == Decision.REJECT:
            claim = claim_reject(
                claim=claim, agent_id=agent_id, reason=message.text, template=message.template
            )
            if note.strip():
                _agent_note(claim, agent_id=agent_id, words=AgentWords(text=note), public=False)
        elif decision == Decision.REVIEW:
            claim = claim_mark_for_review(claim=claim, agent_id=agent_id, note=note)
        elif decision == Decision.MESSAGE:
            if note.strip():
                _agent_note(claim, agent_id=agent_id, words=AgentWords(text=note), public=False)
        else:
            raise _validation_error("decision", _("Choose approve, reject or re-review."))
        if message and decision != Decision.REJECT:
            claim_message_send(claim=claim, agent_id=agent_id, words=message)
    return claim


def claim_cancel(*, claim: Claim) -> Claim:
    """The customer withdraws the claim; possible until the remedy is being issued."""
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        claim_transition(claim=claim, to=ClaimStatus.CANCELLED, actor_kind=Actor.CUSTOMER)
    log_event(logger, "claim.cancelled", claim=claim.reference, actor="customer")
    return claim


def claim_flag(*, claim: Claim, reason: str, detail: str = "", related_claim: Claim | None = None) -> Claim:
    """Record why a claim needs a human; an approved claim not yet being fulfilled goes back to review.

    The caller holds the claim's row lock inside a transaction.
    """
    ClaimFlag.objects.create(claim=claim, reason=reason, detail=detail, related_claim=related_claim)
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.FLAGGED,
        actor_kind=Actor.SYSTEM,
        note=f"{ClaimFlag.Reason(reason).label}. {detail}".strip(),
        public=False,
    )
    if ClaimStatus.NEEDS_REVIEW in TRANSITIONS[claim.status]:
        claim_transition(
            claim=claim,
            to=ClaimStatus.NEEDS_REVIEW,
            actor_kind=Actor.SYSTEM,
            note=gettext_noop("Held for a check by our support team."),
            note_params={},
        )
    log_event(logger, "claim.flagged", claim=claim.reference, reason=reason, detail=detail)
    return claim


def claim_remedy_retry(*, claim: Claim, actor_id: str) -> Claim:
    """A supervisor tries a dead-lettered remedy again, with a fresh set of attempts."""
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        if claim.status not in REMEDY_DUE_STATUSES:
            raise Conflict(
                "invalid_transition",
                _("%(reference)s has no remedy waiting to be issued.") % {"reference": claim.reference},
            )
        claim.save(update_fields=_remedy_arm(claim))
        remedy_issue_after_commit(claim_id=claim.pk)
    log_event(logger, "remedy.retry_requested", claim=claim.reference, actor=f"agent:{actor_id}")
    return claim


# --- Submission -----------------------------------------------------------------------------------


@dataclass
class ClaimSubmission:
    model_number: str
    country: str
    remedy: str
    name: str
    email: str
    address_line1: str
    city: str
    postal_code: str
    serial: str = ""
    phone: str = ""
    address_line2: str = ""
    region: str = ""
    unit_condition: str = UnitCondition.INTACT
    price_paid: Decimal | None = None
    proof_of_purchase: UploadedFile | None = None
    product_photo: UploadedFile | None = None
    language: str = "en"
    # Where the claim was made: ``Channel.WEB`` for the pages, ``Channel.API`` for the API.
    channel: str = ""
    # Where the customer came from (see ``extensions.ATTRIBUTION_SESSION_KEY``): not a claim field.
    attribution: dict | None = None


@dataclass
class SubmittedClaim:
    claim: Claim
    access_token: str = field(repr=False)
    recall_code: str  # of the recall it is under, as the intake read it (no query for the row)


@dataclass
class _Decision:
    recall: Recall | CoveringRecall
    market_rule: MarketRule
    serial_recalled: bool


def _decide_recall(
    lookup: SerialLookup, *, serial: str, country: str, remedy: str, has_proof: bool, has_photo: bool
) -> _Decision:
    """Which recall the claim falls under; every 400 before a 422, as the API promises."""
    model, coverage = cast(ProductModel, lookup.model), lookup.coverage
    recall: Recall | CoveringRecall | None
    if coverage is not None:
        recall, rule = coverage.recall, coverage.market_rule
    else:
        found = recall_for_model_in_country(model=model, country=country)
        rule = market_rule_get(recall=found, country=country) if found is not None else None
        recall = found
    if recall is None:
        raise _validation_error(
            "model_number",
            _("No active recall covers model %(model)s in %(country)s.")
            % {"model": model.model_number, "country": country_label(country)},
        )
    offered = rule.remedies if rule else []
    if rule is None or remedy not in offered:
        remedies = ", ".join(str(Remedy(code).label) for code in offered) or _("nothing yet")
        raise _validation_error(
            "remedy",
            _("In %(country)s this recall offers: %(remedies)s.")
            % {"country": country_label(country), "remedies": remedies},
        )
    if rule.product_photo_required and not has_photo:
        raise _validation_error(
            "product_photo",
            _(
                "In %(country)s a claim needs a photo of the unit with the word RECALLED written on it "
                "in permanent marker."
            )
            % {"country": country_label(country)},
        )
    if not recall.claims_open():
        raise Refused(
            "claim_window_closed",
            _(
                "Claims under this recall closed on %(date)s. The unit is still dangerous: stop using it "
                "and take it to a certified recycling centre."
            )
            % {"date": formats.date_format(cast(datetime.date, recall.claim_deadline), "DATE_FORMAT")},
        )
    if coverage is None and serial and not has_proof:
        if lookup.elsewhere:
            countries = ", ".join(
                str(country_label(c)) for found in lookup.elsewhere for c in found.countries
            )
            raise Refused(
                "serial_not_recalled",
                _(
                    "This unit is one of those recalled in %(countries)s: stop using it now, it carries the "
                    "same fire risk. It is not part of a recall for %(country)s, so send a proof of purchase "
                    "with your claim and our support team will check it."
                )
                % {"countries": countries, "country": country_label(country)},
                fields={"serial": [_("Recalled in other countries, not in this one.")]},
            )
        raise Refused(
            "serial_not_recalled",
            _(
                "This serial number is not in a recalled batch for your country. "
                "If you believe your unit is affected, send a proof of purchase with your claim."
            ),
            fields={"serial": [_("Not in a recalled batch for this country.")]},
        )
    return _Decision(recall=recall, market_rule=rule, serial_recalled=coverage is not None)


def _store_uploads(cleaned: dict[str, CleanUpload]) -> dict[str, str]:
    """Write the uploads to storage before any transaction: a slow bucket must not hold the database's
    locks. Names are dated, so ``documents_orphaned_delete`` finds what a failed claim left behind."""
    stored: dict[str, str] = {}
    try:
        for kind, upload in cleaned.items():
            stored[kind] = document_storage().save(
                new_document_name(upload.content_type), ContentFile(upload.content)
            )
    except BaseException:
        _delete_stored(list(stored.values()))
        raise
    return stored


def _documents(
    cleaned: dict[str, CleanUpload], stored: dict[str, str], label: LabelReading | None
) -> list[ClaimDocument]:
    """The claim's documents, not saved yet: the fraud checks take turns on their hashes first."""
    documents = []
    for kind, upload in cleaned.items():
        document = ClaimDocument(
            kind=kind,
            file=stored[kind],
            content_type=upload.content_type,
            sha256=upload.sha256,
            size=upload.size,
            width=upload.width,
            height=upload.height,
            content_sha256=upload.content_sha256,
            fingerprint=upload.fingerprint,
            **ClaimDocument.fingerprint_bands(upload.fingerprint),
        )
        if kind == ClaimDocument.Kind.PRODUCT_PHOTO and label is not None:
            document.label_check, document.label_serial = label.check, label.serial
        documents.append(document)
    return documents


def _flag_findings(claim: Claim, findings: list[fraud.Finding]) -> None:
    """Flag the new claim and the earlier claims the findings implicate (locked in id order)."""
    if not findings:
        return
    involved = {finding.claim_id for finding in findings} | {
        finding.related_claim_id for finding in findings if finding.related_claim_id is not None
    }
    others = involved - {claim.pk}
    claims = {claim.pk: claim} | {
        other.pk: other for other in Claim.objects.select_for_update().filter(pk__in=others).order_by("pk")
    }
    for finding in findings:
        claim_flag(
            claim=claims[finding.claim_id],
            reason=finding.reason,
            detail=finding.detail,
            related_claim=claims.get(finding.related_claim_id) if finding.related_claim_id else None,
        )


def _duplicate_serial() -> ApplicationError:
    return Conflict(
        "duplicate_serial",
        _("A claim for this serial number is already open."),
        fields={"serial": [_("This unit has already been claimed.")]},
    )


@dataclass
class PreparedClaim:
    """A claim checked and its files stored, not yet in the database (see ``claim_prepare``)."""

    submission: ClaimSubmission
    model: ProductModel
    serial: str
    decision: _Decision
    token: str = field(repr=False)
    documents: list[ClaimDocument]
    created: bool = False


def claim_submit(*, submission: ClaimSubmission) -> SubmittedClaim:
    """Take a customer's claim: validate, store its documents, decide its first status.

    A serial found in a recalled batch for the claim's country is approved at once unless the claim is
    flagged; a proof-only or flagged claim waits for an agent.
    """
    return claim_create(prepared=claim_prepare(submission=submission))


def claim_prepare(*, submission: ClaimSubmission) -> PreparedClaim:
    """Everything before the claim's transaction: the checks, every 400 and 422 but the conflicts, the
    uploads' decoding and their storage. Slow work that must hold no database lock (an idempotent
    request's transaction included). The caller creates the claim or discards what was stored."""
    submission = _one_line_submission(submission)
    lookup, serial, country = serial_lookup_require(
        model_number=submission.model_number,
        serial=submission.serial,
        country=submission.country,
        serial_required=bool(submission.serial.strip()),
    )
    model = cast(ProductModel, lookup.model)
    if submission.phone:
        submission = dataclasses.replace(submission, phone=_phone_require(submission.phone, country=country))
    submission = _address_require(submission, country=country)
    uploads = {
        ClaimDocument.Kind.PROOF_OF_PURCHASE: submission.proof_of_purchase,
        ClaimDocument.Kind.PRODUCT_PHOTO: submission.product_photo,
    }
    if not serial and uploads[ClaimDocument.Kind.PROOF_OF_PURCHASE] is None:
        raise _validation_error("serial", _("Give the unit's serial number or attach a proof of purchase."))
    cleaned: dict[str, CleanUpload] = {
        kind: clean_upload(f, field=kind, unit_photo=kind == ClaimDocument.Kind.PRODUCT_PHOTO)
        for kind, f in uploads.items()
        if f is not None
    }
    decision = _decide_recall(
        lookup,
        serial=serial,
        country=country,
        remedy=submission.remedy,
        has_proof=ClaimDocument.Kind.PROOF_OF_PURCHASE in cleaned,
        has_photo=ClaimDocument.Kind.PRODUCT_PHOTO in cleaned,
    )
    photo = cleaned.get(ClaimDocument.Kind.PRODUCT_PHOTO)
    label = serial_on_label(photo.label_text, model=model, claimed=serial) if photo is not None else None
    return PreparedClaim(
        submission=submission,
        model=model,
        serial=serial,
        decision=decision,
        token=new_access_token(),
        documents=_documents(cleaned, _store_uploads(cleaned), label),
    )


def claim_create(*, prepared: PreparedClaim) -> SubmittedClaim:
    """The claim's transaction; its stored files are deleted if it fails."""
    try:
        claim = _claim_insert(prepared)
    except BaseException:
        claim_prepared_discard(prepared=prepared)
        raise
    prepared.created = True
    log_event(
        logger,
        "claim.submitted",
        claim=claim.reference,
        recall=prepared.decision.recall.code,
        country=claim.country,
        status=claim.status,
        serial_recalled=claim.serial_recalled,
    )
    return SubmittedClaim(claim=claim, access_token=prepared.token, recall_code=prepared.decision.recall.code)


def claim_prepared_discard(*, prepared: PreparedClaim) -> None:
    """A prepared claim that will not be created leaves no file behind."""
    if not prepared.created:
        _delete_stored([document.file.name for document in prepared.documents if document.file.name])


def _claim_insert(prepared: PreparedClaim) -> Claim:
    """The claim's one transaction: database work only, its files are stored already."""
    model, serial, decision, documents = (
        prepared.model,
        prepared.serial,
        prepared.decision,
        prepared.documents,
    )
    for _attempt in range(5):
        claim = _new_claim(
            prepared.submission, model=model, serial=serial, decision=decision, token=prepared.token
        )
        try:
            with transaction.atomic():
                fraud.take_turns(claim, documents)
                # The first write: if the database refuses it, there is nothing else to undo.
                claim.save()
                submitted = ClaimEvent(
                    claim=claim,
                    kind=ClaimEvent.Kind.SUBMITTED,
                    actor_kind=Actor.CUSTOMER,
                    new_status=claim.status,
                )
                for document in documents:
                    document.claim, document.pk = claim, None  # None: an earlier attempt rolled back
                ClaimDocument.objects.bulk_create(documents)
                findings = fraud.findings_for(claim, documents)
                price_to_confirm = refund_price_to_confirm(claim, decision.market_rule)
                held = price_to_confirm or any(finding.claim_id == claim.pk for finding in findings)
                approved_now = decision.serial_recalled and not held
                if not approved_now:
                    submitted.save()  # before the flags' events; an approval writes it with its own
                _flag_findings(claim, findings)
                if price_to_confirm:
                    rule = decision.market_rule
                    claim_flag(
                        claim=claim,
                        reason=ClaimFlag.Reason.PRICE_TO_CONFIRM,
                        detail=f"States {claim.price_paid:.2f} {rule.refund_currency} paid; the refund is "
                        f"{rule.refund_amount:.2f} {rule.refund_currency}. Confirm the price from the receipt.",
                    )
                if approved_now:
                    _approve_locked(
                        claim,
                        actor_kind=Actor.SYSTEM,
                        note=gettext_noop("The serial is in a recalled batch."),
                        note_params={},
                        rule=decision.market_rule,
                        first=[submitted],
                    )
                claim_email_owe(claim_id=claim.pk, template="received")
                if prepared.submission.attribution:
                    for attribute in extensions.claim_made_from:
                        attribute(claim, prepared.submission.attribution)
            return claim
        except IntegrityError:
            # duplicate_serial is held by a unique index, so it holds under concurrency too.
            if (
                serial
                and Claim.objects.filter(model=model, serial=serial)
                .exclude(status__in=RELEASED_STATUSES)
                .exists()
            ):
                raise _duplicate_serial() from None
            if not Claim.objects.filter(reference=claim.reference).exists():
                raise
            # 40 random bits of the reference collided: draw again.
    raise RuntimeError("Could not draw a free claim reference.")


def _delete_stored(names: list[str]) -> None:
    storage = document_storage()
    for name in names:
        storage.delete(name)


def _new_claim(
    submission: ClaimSubmission, *, model: ProductModel, serial: str, decision: _Decision, token: str
) -> Claim:
    return Claim(
        reference=new_claim_reference(),
        recall_id=decision.recall.id,
        model=model,
        serial=serial,
        country=decision.market_rule.country,
        remedy=submission.remedy,
        serial_recalled=decision.serial_recalled,
        customer_name=submission.name.strip(),
        email=normalise_email(submission.email),
        email_key=email_key(submission.email),
        address_key=address_key(
            country=decision.market_rule.country,
            postal_code=submission.postal_code,
            address_line1=submission.address_line1,
        ),
        phone=submission.phone.strip(),
        address_line1=submission.address_line1.strip(),
        address_line2=submission.address_line2.strip(),
        city=submission.city.strip(),
        postal_code=submission.postal_code.strip().upper(),
        region=submission.region,
        unit_condition=submission.unit_condition,
        price_paid=submission.price_paid,
        language=submission.language,
        channel=submission.channel,
        access_token_hash=hash_token(token),
        review_since=timezone.now(),  # a claim starts in review; approval at intake moves it on
    )


def claim_get_for_token(*, reference: str, token: str) -> Claim:
    """The claim, if the token is its own; otherwise ``not_found`` (its existence is not disclosed)."""
    claim = (
        Claim.objects.select_related("recall", "model")
        .filter(reference=normalise_reference(reference))
        .first()
    )
    if claim is None or not token or not claim.token_matches(token):
        raise NotFound("not_found", _("No claim with this reference and token."))
    return claim


# --- Status links: a customer who lost the access token is never locked out -----------------------

STATUS_LINK_SALT = "claims.status-link"
STATUS_LINK_MAX_AGE = datetime.timedelta(days=7)


def status_link_token(claim: Claim) -> str:
    """A signed, dated token that opens the claim's status page for ``STATUS_LINK_MAX_AGE``."""
    return signing.dumps(claim.reference, salt=STATUS_LINK_SALT)


def claim_get_for_status_link(*, link: str) -> Claim:
    """The claim of a status link still valid; otherwise ``not_found``."""
    try:
        reference = signing.loads(link, salt=STATUS_LINK_SALT, max_age=STATUS_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        raise NotFound("not_found", _("This status link is not valid or has expired.")) from None
    claim = Claim.objects.select_related("recall", "model").filter(reference=reference).first()
    if claim is None:
        raise NotFound("not_found", _("This status link is not valid or has expired."))
    return claim


def status_links_request(*, email: str, channel: str = "") -> bool:
    """Owe the customer one e-mail with a status link to each of their claims, if they have any.

    The caller answers the same either way: whether an address has claims is not disclosed. Past the
    ``status_links`` rate for one address the request is dropped as silently, so that nobody floods a
    customer's mailbox."""
    address = normalise_email(email)
    if key_rate_limit_wait(scope="status_links", key=email_key(address)) is not None:
        log_event(logger, "claim.status_links_throttled", logging.WARNING)
        return False
    # The links go to the address as the claims have it, and to no look-alike of it.
    latest = Claim.objects.filter(email=address).order_by("-created_at", "-pk").first()
    if latest is None:
        return False
    recall_ids = sorted(set(Claim.objects.filter(email=address).values_list("recall_id", flat=True)))
    for requested in extensions.status_links_requested:
        requested(recall_ids, channel)
    claim_email_owe(claim_id=latest.pk, template="status_links")
    log_event(logger, "claim.status_links_sent", claim=latest.reference)
    return True


# --- Reminders for units still at home -------------------------------------------------------------

REMINDER_BATCH = 500


def disposal_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind each customer whose claim waits for the unit, ``DISPOSAL_REMINDER_DAYS`` after it began
    to wait: each reminder once (a counter on the claim moves with the e-mail owed, in one transaction),
    none once a centre has the unit."""
    now = now or timezone.now()
    reminded = 0
    for sent, days in enumerate(settings.DISPOSAL_REMINDER_DAYS):
        waiting_since = ClaimEvent.objects.filter(
            claim=OuterRef("pk"),
            kind=ClaimEvent.Kind.STATUS_CHANGED,
            new_status=ClaimStatus.AWAITING_DISPOSAL,
            created_at__lte=now - datetime.timedelta(days=days),
        )
        due = Claim.objects.filter(
            status=ClaimStatus.AWAITING_DISPOSAL,
            disposal_reminders_sent=sent,
            disposal_confirmed_at__isnull=True,
        ).filter(Exists(waiting_since))
        for claim_id in due.values_list("pk", flat=True)[:REMINDER_BATCH]:
            with transaction.atomic():
                # Only the run that moves the counter owes the e-mail: two sweeps at once send one.
                if Claim.objects.filter(pk=claim_id, disposal_reminders_sent=sent).update(
                    disposal_reminders_sent=sent + 1
                ):
                    claim_email_owe(claim_id=claim_id, template="disposal_reminder")
                    reminded += 1
    if reminded:
        log_event(logger, "claim.disposal_reminders_sent", count=reminded)
    return reminded
