"""The supervisors' team view of the review workspace: one admin page that shows how the queue is
doing (how long claims wait, who decides how many, how long a decision takes), what is stuck (claims
held past their lease, remedies dead-lettered after all attempts, with a retry) and which fraud rules
agents overrule.

The reads are plain functions gathered in one frozen ``TeamOverview``; each aggregates in the
database, so the page runs the same few queries however many claims there are.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone

from core.errors import ApplicationError

from .models import Claim, ClaimEvent, ClaimFlag, ClaimStatus, ReviewSettings
from .selectors import agent_review_decisions
from .services import claim_remedy_retry

RETRY_PERMISSION = "claims.retry_work"

T = TypeVar("T")

WEEK_DAYS = 7
DECISION_TIME_WINDOW = datetime.timedelta(days=30)
# The lists of stuck claims show the oldest first; past this many, the page says how many more.
LIST_LIMIT = 100
# A rule that agents overrule this often, on enough claims to tell, flags noise rather than fraud.
NOISE_SHARE = 0.8
NOISE_MIN_FLAGGED = 5

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# (label, age from, age below): from when the claim last entered review.
AGE_BUCKETS: tuple[tuple[str, datetime.timedelta | None, datetime.timedelta | None], ...] = (
    ("Under 4 h", None, 4 * HOUR),
    ("4–24 h", 4 * HOUR, DAY),
    ("1–2 days", DAY, 2 * DAY),
    ("2–7 days", 2 * DAY, 7 * DAY),
    ("Over 7 days", 7 * DAY, None),
)


@dataclass(frozen=True)
class AgeBucket:
    label: str
    count: int


@dataclass(frozen=True)
class ReviewAges:
    in_review: int
    buckets: tuple[AgeBucket, ...]
    target_hours: int
    past_target: int


@dataclass(frozen=True)
class DayDecisions:
    day: datetime.date
    approved: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.approved + self.rejected


@dataclass(frozen=True)
class AgentDecisions:
    agent: str
    days: tuple[DayDecisions, ...]

    @property
    def approved(self) -> int:
        return sum(day.approved for day in self.days)

    @property
    def rejected(self) -> int:
        return sum(day.rejected for day in self.days)

    @property
    def total(self) -> int:
        return self.approved + self.rejected


@dataclass(frozen=True)
class DecisionTime:
    decisions: int
    median_hours: float | None


@dataclass(frozen=True)
class HeldClaim:
    claim_id: int
    reference: str
    held_by: str
    held_until: datetime.datetime
    review_since: datetime.datetime | None


@dataclass(frozen=True)
class DeadLetter:
    claim_id: int
    reference: str
    remedy: str
    attempts: int
    last_error: str
    failed_at: datetime.datetime


@dataclass(frozen=True)
class Listed(Generic[T]):
    """The first ``LIST_LIMIT`` rows of a list, and how many there are in all."""

    rows: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class RuleCheck:
    reason: str
    label: str
    flagged: int
    approved_anyway: int

    @property
    def share(self) -> float | None:
        """Of the claims the rule flagged, the part an agent approved anyway; None when it flagged none."""
        return self.approved_anyway / self.flagged if self.flagged else None

    @property
    def percent(self) -> int | None:
        return None if self.share is None else round(self.share * 100)

    @property
    def is_noise(self) -> bool:
        return self.flagged >= NOISE_MIN_FLAGGED and (self.share or 0) >= NOISE_SHARE


@dataclass(frozen=True)
class TeamOverview:
    now: datetime.datetime
    ages: ReviewAges
    week: tuple[datetime.date, ...]
    decisions: tuple[AgentDecisions, ...]
    decision_time: DecisionTime
    held_past_lease: Listed[HeldClaim]
    dead_letters: Listed[DeadLetter]
    rule_checks: tuple[RuleCheck, ...]


# --- Reads ---------------------------------------------------------------------------------------


def week_days(*, now: datetime.datetime) -> tuple[datetime.date, ...]:
    """Today and the six days before it, oldest first, in the active time zone."""
    today = timezone.localdate(now)
    return tuple(today - datetime.timedelta(days=back) for back in range(WEEK_DAYS - 1, -1, -1))


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def review_ages(*, now: datetime.datetime) -> ReviewAges:
    """Claims in review by how long they have waited since they last entered review, and how many
    wait longer than the supervisors' service target."""
    target_hours = ReviewSettings.load().target_hours
    # A claim written before the queue knew ``review_since`` waits since it was made.
    since = Coalesce("review_since", "created_at")
    counts = {
        f"bucket_{index}": Count(
            "pk",
            filter=(Q(since__lte=now - older) if older is not None else Q())
            & (Q(since__gt=now - younger) if younger is not None else Q()),
        )
        for index, (_label, older, younger) in enumerate(AGE_BUCKETS)
    }
    totals = (
        Claim.objects.filter(status=ClaimStatus.NEEDS_REVIEW)
        .annotate(since=since)
        .aggregate(
            in_review=Count("pk"),
            past_target=Count("pk", filter=Q(since__lt=now - target_hours * HOUR)),
            **counts,
        )
    )
    return ReviewAges(
        in_review=totals["in_review"],
        buckets=tuple(
            AgeBucket(label=label, count=totals[f"bucket_{index}"])
            for index, (label, _older, _younger) in enumerate(AGE_BUCKETS)
        ),
        target_hours=target_hours,
        past_target=totals["past_target"],
    )


def _agent_names(actor_ids: set[str]) -> dict[str, str]:
    """Each agent's username by the id their events carry; an id whose user is gone stays as it is."""
    pks = [int(actor_id) for actor_id in actor_ids if actor_id.isdigit()]
    users = get_user_model().objects.filter(pk__in=pks)
    names = {str(user.pk): user.get_username() for user in users}
    return {actor_id: names.get(actor_id, actor_id) for actor_id in actor_ids}


def decisions_per_agent(*, days: tuple[datetime.date, ...]) -> tuple[AgentDecisions, ...]:
    """Approvals and rejections per agent and day (``days``, in the active time zone), the busiest
    agent first."""
    rows = (
        agent_review_decisions()
        .filter(created_at__gte=_start_of(days[0]), created_at__lt=_start_of(days[-1] + DAY))
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("actor_id", "day")
        .annotate(
            approved=Count("pk", filter=Q(new_status=ClaimStatus.APPROVED)),
            rejected=Count("pk", filter=Q(new_status=ClaimStatus.REJECTED)),
        )
        .order_by()
    )
    per_agent: dict[str, dict[datetime.date, DayDecisions]] = {}
    for row in rows:
        per_agent.setdefault(row["actor_id"], {})[row["day"]] = DayDecisions(
            day=row["day"], approved=row["approved"], rejected=row["rejected"]
        )
    names = _agent_names(set(per_agent))
    agents = [
        AgentDecisions(
            agent=names[actor_id], days=tuple(counts.get(day, DayDecisions(day=day)) for day in days)
        )
        for actor_id, counts in per_agent.items()
    ]
    return tuple(sorted(agents, key=lambda agent: (-agent.total, agent.agent)))


def decision_time(*, now: datetime.datetime) -> DecisionTime:
    """The median time from a claim entering review to an agent's decision, over the last 30 days.

    A claim enters review at the latest event that put it there before the decision (it may have come
    back after an earlier approval), or when it was made if no event says so.
    """
    # Before in the timeline's order (time, then id): a step written in the same instant counts too.
    before_decision = Q(created_at__lt=OuterRef("created_at")) | Q(
        created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")
    )
    entered = (
        ClaimEvent.objects.filter(
            before_decision, claim_id=OuterRef("claim_id"), new_status=ClaimStatus.NEEDS_REVIEW
        )
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    timed = (
        agent_review_decisions()
        .filter(created_at__gte=now - DECISION_TIME_WINDOW)
        .annotate(entered_at=Coalesce(Subquery(entered), F("claim__created_at")))
        .values_list("created_at", "entered_at")
    )
    waits = [(decided_at - entered_at) / HOUR for decided_at, entered_at in timed]
    return DecisionTime(decisions=len(waits), median_hours=statistics.median(waits) if waits else None)


def _listed(rows: list[T], queryset: QuerySet) -> Listed[T]:
    # Counted only when the list is cut: most days the rows are all there is.
    total = len(rows) if len(rows) < LIST_LIMIT else queryset.count()
    return Listed(rows=tuple(rows), total=total)


def claims_held_past_lease(*, now: datetime.datetime) -> Listed[HeldClaim]:
    """Claims in review still marked as held by an agent whose lease ran out (nobody works on them, and
    the queue hands them out again), the longest expired first."""
    held = Claim.objects.filter(
        status=ClaimStatus.NEEDS_REVIEW, held_by__isnull=False, held_until__lte=now
    ).order_by("held_until", "pk")
    rows = [
        HeldClaim(
            claim_id=claim.pk,
            reference=claim.reference,
            held_by=claim.held_by.get_username() if claim.held_by else "",
            held_until=claim.held_until,
            review_since=claim.review_since,
        )
        for claim in held.select_related("held_by").only(
            "pk", "reference", "held_until", "review_since", "held_by__username"
        )[:LIST_LIMIT]
        if claim.held_until is not None
    ]
    return _listed(rows, held)


def remedy_dead_letters() -> Listed[DeadLetter]:
    """Remedies the sweep gave up on after all attempts, the oldest failure first."""
    failed = Claim.objects.filter(remedy_failed_at__isnull=False).order_by("remedy_failed_at", "pk")
    rows = [
        DeadLetter(
            claim_id=claim.pk,
            reference=claim.reference,
            remedy=claim.get_remedy_display(),
            attempts=claim.remedy_attempts,
            last_error=claim.remedy_last_error,
            failed_at=claim.remedy_failed_at,
        )
        for claim in failed.only(
            "pk", "reference", "remedy", "remedy_attempts", "remedy_last_error", "remedy_failed_at"
        )[:LIST_LIMIT]
        if claim.remedy_failed_at is not None
    ]
    return _listed(rows, failed)


def rule_checks(*, since: datetime.datetime) -> tuple[RuleCheck, ...]:
    """Per fraud rule, in the order the rules are listed: the claims it flagged since ``since``, and how
    many of them an agent approved after the flag."""
    approved_after_flag = agent_review_decisions().filter(
        new_status=ClaimStatus.APPROVED, claim_id=OuterRef("claim_id"), created_at__gt=OuterRef("created_at")
    )
    counts: dict[str, tuple[int, int]] = {
        row["reason"]: (row["flagged"], row["approved_anyway"])
        for row in ClaimFlag.objects.filter(created_at__gte=since)
        .values("reason")
        .annotate(
            flagged=Count("claim_id", distinct=True),
            approved_anyway=Count("claim_id", distinct=True, filter=Exists(approved_after_flag)),
        )
        .order_by()
    }
    checks = []
    for reason, label in ClaimFlag.Reason.choices:
        flagged, approved_anyway = counts.get(reason, (0, 0))
        checks.append(RuleCheck(reason=reason, label=label, flagged=flagged, approved_anyway=approved_anyway))
    return tuple(checks)


def team_overview(*, now: datetime.datetime | None = None) -> TeamOverview:
    now = now or timezone.now()
    week = week_days(now=now)
    return TeamOverview(
        now=now,
        ages=review_ages(now=now),
        week=week,
        decisions=decisions_per_agent(days=week),
        decision_time=decision_time(now=now),
        held_past_lease=claims_held_past_lease(now=now),
        dead_letters=remedy_dead_letters(),
        rule_checks=rule_checks(since=_start_of(week[0])),
    )


# --- The page ------------------------------------------------------------------------------------


def _retry(request: HttpRequest) -> None:
    claim_id = request.POST.get("claim", "")
    claim = (
        Claim.objects.filter(pk=int(claim_id), remedy_failed_at__isnull=False).first()
        if claim_id.isdigit()
        else None
    )
    if claim is None:
        # Another supervisor retried it, or the claim moved on, since the page was shown.
        messages.warning(request, "That remedy is no longer waiting for a retry.")
        return
    try:
        claim_remedy_retry(claim=claim, actor_id=str(request.user.pk))
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return
    messages.success(request, f"{claim.reference}: the remedy is queued again, with a fresh set of attempts.")


def team_view(request: HttpRequest, *, admin_site: AdminSite) -> HttpResponse:
    """The team view (``admin:claims_claim_team``); a POST retries one dead-lettered remedy."""
    if not request.user.has_perm(RETRY_PERMISSION):
        raise PermissionDenied
    if request.method == "POST":
        _retry(request)
        return HttpResponseRedirect(request.get_full_path())
    context = {
        **admin_site.each_context(request),
        "title": "Review team",
        "opts": Claim._meta,
        "overview": team_overview(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return TemplateResponse(request, "admin/claims/claim/team.html", context)
