"""Return kits by mail: who is offered one, ordering it once, the kit provider's webhook and CSV, the
centre's confirmation marking it returned, and the kits agents follow up."""

import csv
import datetime
import io
import logging

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from claims.models import ClaimEvent, ClaimStatus, UnitCondition, hash_token
from claims.services import status_link_token
from core.errors import ApplicationError, Conflict
from core.models import OutboxMessage
from disposal.models import ReturnKit
from disposal.selectors import return_kit_reason, return_kits_overdue
from disposal.services import disposal_confirm, return_kit_mark_shipped, return_kit_order, return_kit_payload
from tests.factories import (
    ClaimFactory,
    MarketRuleFactory,
    RecalledBatchFactory,
    SerialRangeFactory,
    facility_with_token,
)

pytestmark = pytest.mark.django_db

TOKEN = "the-claims-own-token"
TOKYO = (35.6895, 139.69171)
SAPPORO = (43.06417, 141.34694)


@pytest.fixture
def jp_recall(db):
    """A Japanese market that sends kits by mail and holds the remedy until the unit is handed in, with
    one certified centre, in Tokyo."""
    rule = MarketRuleFactory(
        country="JP",
        offers_gift_card=False,
        offers_replacement=True,
        return_by_mail=True,
        disposal_before_remedy=True,
    )
    MarketRuleFactory(recall=rule.recall, country="US")  # no kits by mail there
    batch = RecalledBatchFactory(recall=rule.recall, model__model_number="A1263", markets=["JP", "US"])
    SerialRangeFactory(batch=batch)
    return rule.recall


@pytest.fixture
def tokyo_centre(db):
    facility, token = facility_with_token(
        "Tokyo Centre", country="JP", latitude=TOKYO[0], longitude=TOKYO[1], address="1-1 Chiyoda, Tokyo"
    )
    facility.token = token
    return facility


@pytest.fixture
def claim_in(jp_recall, tokyo_centre):
    def make(city="Sapporo", condition=UnitCondition.INTACT, country="JP", **kwargs):
        return ClaimFactory(
            recall=jp_recall,
            model=jp_recall.models.get(),
            country=country,
            remedy=kwargs.pop("remedy", "replacement"),
            status=kwargs.pop("status", ClaimStatus.AWAITING_DISPOSAL),
            city=city,
            unit_condition=condition,
            access_token_hash=hash_token(TOKEN),
            **kwargs,
        )

    return make


def kit_url(claim) -> str:
    return f"/api/v1/claims/{claim.reference}/return-kit/"


def bearer(token=TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- The offer rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("city", "condition", "reason"),
    [
        ("Sapporo", UnitCondition.INTACT, ReturnKit.Reason.NO_CENTRE_NEAR),  # 830 km from Tokyo
        ("Yokohama", UnitCondition.INTACT, None),  # 29 km: the centre is near
        ("Yokohama", UnitCondition.DAMAGED, ReturnKit.Reason.DAMAGED),
        ("Yokohama", UnitCondition.SWOLLEN, ReturnKit.Reason.SWOLLEN),
        ("Nowhere-under-the-hill", UnitCondition.INTACT, ReturnKit.Reason.NO_CENTRE_NEAR),  # not placed
    ],
)
def test_a_kit_is_offered_far_from_a_centre_or_for_a_damaged_or_swollen_unit(
    claim_in, city, condition, reason
):
    assert return_kit_reason(claim_in(city=city, condition=condition)) == reason


def test_the_radius_is_a_setting(claim_in):
    claim = claim_in(city="Yokohama")
    with override_settings(RETURN_KIT_RADIUS_KM=10):
        assert return_kit_reason(claim) == ReturnKit.Reason.NO_CENTRE_NEAR


def test_a_centre_without_a_valid_certification_is_not_near(claim_in, tokyo_centre):
    tokyo_centre.certifications.update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    assert return_kit_reason(claim_in(city="Yokohama")) == ReturnKit.Reason.NO_CENTRE_NEAR


def test_a_market_without_return_by_mail_offers_no_kit_even_for_a_swollen_unit(claim_in, api):
    claim = claim_in(city="Springfield", country="US", condition=UnitCondition.SWOLLEN, remedy="gift_card")
    assert return_kit_reason(claim) is None
    answer = api.post(kit_url(claim), headers=bearer())
    assert answer.status_code == 409
    assert answer.json()["code"] == "return_kit_not_offered"
    assert not ReturnKit.objects.exists()


@pytest.mark.parametrize("status", [ClaimStatus.NEEDS_REVIEW, ClaimStatus.REJECTED, ClaimStatus.CANCELLED])
def test_a_claim_not_accepted_is_sent_no_kit(claim_in, status):
    assert return_kit_reason(claim_in(status=status, condition=UnitCondition.DAMAGED)) is None


def test_a_unit_handed_in_already_needs_no_kit(claim_in):
    claim = claim_in(disposal_confirmed_at=timezone.now())
    assert return_kit_reason(claim) is None
    with pytest.raises(Conflict):
        return_kit_order(claim=claim)


# --- Ordering ----------------------------------------------------------------------------------


@override_settings(RETURN_KIT_WEBHOOK_URL="https://kits.example/hook", RETURN_KIT_WEBHOOK_SECRET="s")
def test_ordering_twice_orders_one_kit_and_owes_the_provider_one_webhook(
    claim_in, api, tokyo_centre, django_capture_on_commit_callbacks
):
    claim = claim_in(city="Sapporo", customer_name="Hanako Yamada")
    with django_capture_on_commit_callbacks():
        first = api.post(kit_url(claim), headers=bearer())
    assert first.status_code == 201
    kit = first.json()["return_kit"]
    assert (kit["status"], kit["tracking_number"], kit["shipped_at"]) == ("ordered", None, None)
    again = api.post(kit_url(claim), headers=bearer())
    assert again.status_code == 200
    assert again.json()["return_kit"] == kit
    assert ReturnKit.objects.filter(claim=claim).count() == 1
    (message,) = OutboxMessage.objects.filter(topic=OutboxMessage.Topic.RETURN_KIT_ORDERED)
    payload = message.payload
    assert payload["claim_reference"] == claim.reference
    assert payload["un_number"] == "UN3480"
    assert "fire-safe bag" in payload["contents"]
    assert payload["ship_to"]["name"] == "Hanako Yamada"
    assert payload["return_to"] == {"name": "Tokyo Centre", "address": "1-1 Chiyoda, Tokyo", "country": "JP"}
    # the customer's timeline says so
    assert api.get(f"/api/v1/claims/{claim.reference}/", headers=bearer()).json()["return_kit"] == kit


def test_without_a_webhook_url_the_kit_waits_for_the_export_only(claim_in):
    return_kit_order(claim=claim_in())
    assert not OutboxMessage.objects.filter(topic=OutboxMessage.Topic.RETURN_KIT_ORDERED).exists()


def test_a_wrong_or_missing_token_is_not_found_and_orders_nothing(claim_in, api):
    claim = claim_in()
    for headers in (bearer("not-the-token"), {}):
        answer = api.post(kit_url(claim), headers=headers)
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found"
    assert api.post("/api/v1/claims/RC-NOSUCH00/return-kit/", headers=bearer()).status_code == 404
    assert not ReturnKit.objects.exists()


def test_a_claim_without_a_kit_says_null(claim_in, api):
    claim = claim_in()
    assert api.get(f"/api/v1/claims/{claim.reference}/", headers=bearer()).json()["return_kit"] is None


# --- The kit provider's CSV --------------------------------------------------------------------


def export(tmp_path) -> list[dict]:
    path = tmp_path / "kits.csv"
    call_command("return_kits_export", "--output", str(path), stderr=io.StringIO())
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def import_tracking(tmp_path, rows: str) -> tuple[str, str]:
    path = tmp_path / "tracking.csv"
    path.write_text(rows, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("return_kits_import_tracking", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_export_lists_kits_to_send_with_formula_cells_neutralised(claim_in, tmp_path):
    claim = claim_in(customer_name='=HYPERLINK("http://evil.example","x")', condition=UnitCondition.SWOLLEN)
    return_kit_order(claim=claim)
    (row,) = export(tmp_path)
    assert row["reference"] == claim.reference
    assert row["name"].startswith("'=")
    assert (row["unit_condition"], row["return_to"], row["country"]) == ("swollen", "Tokyo Centre", "JP")


def test_tracking_numbers_mark_kits_shipped_once_and_leave_the_export(claim_in, tmp_path, api):
    claim, other = claim_in(), claim_in()
    return_kit_order(claim=claim)
    out, err = import_tracking(
        tmp_path, f"reference,tracking_number\n{claim.reference},JP123\nRC-NOSUCH00,X\n"
    )
    assert "1 rows applied, 1 refused" in out
    assert "RC-NOSUCH00" in err
    kit = api.get(f"/api/v1/claims/{claim.reference}/", headers=bearer()).json()["return_kit"]
    assert (kit["status"], kit["tracking_number"]) == ("shipped", "JP123")
    assert export(tmp_path) == []
    # the same file again changes nothing; another number for a shipped kit is refused
    assert (
        "1 rows applied"
        in import_tracking(tmp_path, f"reference,tracking_number\n{claim.reference},JP123\n")[0]
    )
    with pytest.raises(Conflict):
        return_kit_mark_shipped(reference=claim.reference, tracking_number="JP999")
    assert not ReturnKit.objects.filter(claim=other).exists()


# --- The centre confirms the unit ----------------------------------------------------------------


def test_the_centres_confirmation_marks_the_kit_returned_and_releases_the_held_remedy(
    claim_in, tokyo_centre, django_capture_on_commit_callbacks
):
    claim = claim_in()
    return_kit_order(claim=claim)
    return_kit_mark_shipped(reference=claim.reference, tracking_number="JP123")
    with django_capture_on_commit_callbacks(execute=True):
        disposal_confirm(
            facility=tokyo_centre, claim_reference=claim.reference, serial=claim.serial, condition="swollen"
        )
    kit = ReturnKit.objects.get(claim=claim)
    assert kit.status == ReturnKit.Status.RETURNED and kit.returned_at is not None
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLING  # the replacement is ordered from the warehouse


# --- Agents follow up kits whose unit does not come back ----------------------------------------


def test_a_kit_shipped_over_21_days_ago_whose_unit_has_not_arrived_is_overdue(claim_in, tokyo_centre):
    late, recent, back = claim_in(), claim_in(), claim_in()
    for claim in (late, recent, back):
        return_kit_order(claim=claim)
        return_kit_mark_shipped(reference=claim.reference, tracking_number=f"T-{claim.pk}")
    now = timezone.now()
    ReturnKit.objects.filter(claim__in=[late, back]).update(shipped_at=now - datetime.timedelta(days=22))
    ReturnKit.objects.filter(claim=recent).update(shipped_at=now - datetime.timedelta(days=20))
    disposal_confirm(
        facility=tokyo_centre, claim_reference=back.reference, serial=back.serial, condition="intact"
    )
    assert [kit.claim for kit in return_kits_overdue(now=now)] == [late]


def test_agents_see_the_overdue_kits_in_the_admin(claim_in, client, staff_roles):
    from django.contrib.auth.models import Group, User

    late = claim_in()
    return_kit_order(claim=late)
    return_kit_mark_shipped(reference=late.reference, tracking_number="T-LATE")
    ReturnKit.objects.filter(claim=late).update(shipped_at=timezone.now() - datetime.timedelta(days=30))
    on_time = claim_in()
    return_kit_order(claim=on_time)
    agent = User.objects.create_user("agent", password="x", is_staff=True)  # noqa: S106
    agent.groups.add(Group.objects.get(name="Support agent"))
    client.force_login(agent)
    page = client.get("/admin/disposal/returnkit/?overdue=yes")
    assert page.status_code == 200
    body = page.content.decode()
    assert late.reference in body and "30 (overdue)" in body
    assert on_time.reference not in body
    claims_page = client.get(f"/admin/claims/claim/{late.pk}/change/").content.decode()
    assert "shipped, T-LATE" in claims_page


# --- The status page ---------------------------------------------------------------------------


def test_the_status_page_offers_the_kit_orders_it_and_shows_its_progress(claim_in, client):
    claim = claim_in()
    link = status_link_token(claim)
    page = client.get(f"/status/link/{link}/").content.decode()
    assert 'name="return_kit" value="order"' in page
    assert "Until the kit arrives" in page
    ordered = client.post("/status/", {"link": link, "return_kit": "order"})
    assert ordered.status_code == 200
    body = ordered.content.decode()
    assert "Your return kit is ordered" in body
    assert 'name="return_kit" value="order"' not in body
    assert ReturnKit.objects.filter(claim=claim, status=ReturnKit.Status.ORDERED).exists()
    return_kit_mark_shipped(reference=claim.reference, tracking_number="JP123")
    shipped = client.post("/status/", {"reference": claim.reference, "token": TOKEN}).content.decode()
    assert "Your return kit is on its way." in shipped and "JP123" in shipped
    assert "How to pack it" in shipped


def test_the_status_page_offers_no_kit_where_a_centre_is_near(claim_in, client):
    claim = claim_in(city="Yokohama")
    page = client.post("/status/", {"reference": claim.reference, "token": TOKEN}).content.decode()
    assert "Return kit by mail" not in page
    refused = client.post("/status/", {"reference": claim.reference, "token": TOKEN, "return_kit": "order"})
    assert refused.status_code == 409
    assert not ReturnKit.objects.exists()


def test_the_status_page_speaks_of_the_kit_in_german_and_japanese(claim_in, client):
    claim = claim_in()
    return_kit_order(claim=claim)
    for language, words in (("de", "Rücksendeset"), ("ja", "返送キット")):
        page = client.post(
            "/status/", {"reference": claim.reference, "token": TOKEN}, HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        assert words in page, language


def test_a_centre_listed_under_another_country_is_not_near_however_close(claim_in):
    """The kit's label returns the unit to a centre of the claim's own country: one across a border
    does not make the kit needless."""
    facility_with_token("Across the border", country="KR", latitude=SAPPORO[0], longitude=SAPPORO[1])
    assert return_kit_reason(claim_in(city="Sapporo")) == ReturnKit.Reason.NO_CENTRE_NEAR


def test_the_providers_order_ships_to_the_customers_address_in_their_country(claim_in):
    kit, _ = return_kit_order(
        claim=claim_in(city="Sapporo", customer_name="Hanako Yamada", postal_code="060-0001")
    )
    assert return_kit_payload(kit)["ship_to"] == {
        "name": "Hanako Yamada",
        "address": "1 Main Street\n060-0001 Sapporo",
        "country": "JP",
    }


def test_a_shipped_kit_tells_the_customer_when_it_was_sent(claim_in, api):
    claim = claim_in()
    return_kit_order(claim=claim)
    sent = timezone.now()
    with time_machine.travel(sent, tick=False):
        return_kit_mark_shipped(reference=claim.reference, tracking_number="JP123")
    kit = api.get(f"/api/v1/claims/{claim.reference}/", headers=bearer()).json()["return_kit"]
    assert set(kit) == {"status", "tracking_number", "ordered_at", "shipped_at", "returned_at"}
    assert datetime.datetime.fromisoformat(kit["shipped_at"]) == sent
    assert kit["returned_at"] is None


def test_marking_a_kit_shipped_without_a_tracking_number_is_refused_on_that_field(claim_in):
    claim = claim_in()
    return_kit_order(claim=claim)
    with pytest.raises(ApplicationError) as refused:
        return_kit_mark_shipped(reference=claim.reference, tracking_number="  ")
    assert refused.value.code == "validation_error"
    assert refused.value.fields == {"tracking_number": ["Required."]}
    assert ReturnKit.objects.get(claim=claim).status == ReturnKit.Status.ORDERED


def test_a_kit_shipped_is_a_note_on_the_claims_timeline_and_a_log_event(claim_in, caplog):
    claim = claim_in()
    return_kit_order(claim=claim)
    with caplog.at_level(logging.INFO, logger="disposal.services"):
        return_kit_mark_shipped(reference=claim.reference, tracking_number="JP123")
    event = claim.events.last()
    assert (event.kind, event.display_note) == (
        ClaimEvent.Kind.NOTE,
        "Return kit sent, tracking number JP123.",
    )
    [logged] = [r for r in caplog.records if getattr(r, "event", None) == "return_kit.shipped"]
    assert (logged.claim, logged.tracking) == (claim.reference, "JP123")
