import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import ClaimFlag, ClaimStatus
from core.roles import SUPERVISOR, SUPPORT_AGENT
from fulfilment.models import GiftCard
from fulfilment.services import remedy_issue
from tests.factories import ClaimFactory, attach_receipt, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]

LIST = "/admin/claims/claim/"


def staff(username: str, role: str) -> User:
    user = User.objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def agent_client(client):
    client.force_login(staff("agent1", SUPPORT_AGENT))
    return client


@pytest.fixture
def claim_for(us_recall):
    model = us_recall.models.get()
    return lambda **kw: ClaimFactory(recall=us_recall, model=model, **kw)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/fulfilment/refund/",
        "/admin/disposal/recyclingfacility/",
        "/admin/recalls/recall/",
        "/admin/recalls/recalledbatch/",
        "/admin/recalls/productmodel/",
        "/admin/core/outboxmessage/",
    ],
)
def test_agent_cannot_open_refunds_facilities_or_recall_data(agent_client, url):
    assert agent_client.get(url).status_code == 403


def test_supervisor_can_open_them(client):
    client.force_login(staff("boss", SUPERVISOR))
    for url in ["/admin/fulfilment/refund/", "/admin/disposal/recyclingfacility/", "/admin/recalls/recall/"]:
        assert client.get(url).status_code == 200


def test_facility_admin_never_shows_the_token_hash(client):
    from tests.factories import facility_with_token

    facility, token = facility_with_token("Hidden")
    client.force_login(staff("boss", SUPERVISOR))
    page = client.get(f"/admin/disposal/recyclingfacility/{facility.pk}/change/").content.decode()
    assert facility.api_token_hash not in page and token not in page


def test_logged_out_user_cannot_fetch_an_upload(client, claim_for, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    document = attach_receipt(claim_for())
    url = f"/admin/claims/claim/document/{document.pk}/"
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    for public in (f"/{document.file.name}", f"/media/{document.file.name}"):  # no public URL serves it
        assert client.get(public).status_code == 404


def test_agent_sees_the_upload_through_the_authenticated_view(agent_client, claim_for, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    claim = claim_for()
    document = attach_receipt(claim)
    page = agent_client.get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    assert f"/admin/claims/claim/document/{document.pk}/" in page
    response = agent_client.get(f"/admin/claims/claim/document/{document.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == png_bytes(40, 30)


def test_claim_list_runs_a_constant_number_of_queries(agent_client, claim_for):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(LIST).status_code == 200
        return len(captured)

    claim_for()
    queries_for_list()  # the first list of all writes the queue's settings row
    few = queries_for_list()
    for _ in range(30):
        claim = claim_for()
        ClaimFlag.objects.create(claim=claim, reason=ClaimFlag.Reason.DUPLICATE_RECEIPT)
    assert queries_for_list() == few


def test_list_shows_counts_per_status_and_filters_flagged(agent_client, claim_for):
    flagged = claim_for()
    ClaimFlag.objects.create(claim=flagged, reason=ClaimFlag.Reason.DUPLICATE_RECEIPT)
    plain = claim_for(status=ClaimStatus.APPROVED)
    page = agent_client.get(LIST).content.decode()
    assert "Needs review: <strong>1</strong>" in page and "Approved: <strong>1</strong>" in page
    only_flagged = agent_client.get(LIST, {"flagged": "yes"}).content.decode()
    assert flagged.reference in only_flagged and plain.reference not in only_flagged
    assert plain.reference in agent_client.get(LIST, {"q": plain.serial}).content.decode()


def test_agent_approves_rejects_and_sends_back_through_the_services(
    agent_client, claim_for, mailoutbox, django_capture_on_commit_callbacks
):
    to_approve, to_reject = claim_for(), claim_for()
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(f"/admin/claims/claim/{to_approve.pk}/decide/", {"decision": "approve"})
        agent_client.post(
            f"/admin/claims/claim/{to_reject.pk}/decide/",
            {"decision": "reject", "message": "Receipt is for another model."},
        )
    to_approve.refresh_from_db()
    to_reject.refresh_from_db()
    assert to_approve.status == ClaimStatus.FULFILLED  # approved, and the gift card issued by the task
    assert to_reject.status == ClaimStatus.REJECTED
    rejection = [m for m in mailoutbox if to_reject.email in m.to][0]
    assert "Receipt is for another model." in rejection.body
    event = to_reject.events.get(new_status="rejected")
    assert (event.actor_kind, event.actor_id) == ("agent", str(User.objects.get(username="agent1").pk))


def test_reject_without_a_reason_is_refused(agent_client, claim_for):
    claim = claim_for()
    response = agent_client.post(
        f"/admin/claims/claim/{claim.pk}/decide/", {"decision": "reject"}, follow=True
    )
    assert "Say why" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW


def test_illegal_move_is_reported_not_applied(agent_client, claim_for):
    claim = claim_for(status=ClaimStatus.FULFILLED)
    response = agent_client.post(
        f"/admin/claims/claim/{claim.pk}/decide/", {"decision": "approve"}, follow=True
    )
    assert "cannot become approved" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED


def test_bulk_approve_and_reject(agent_client, claim_for, django_capture_on_commit_callbacks):
    batch = [claim_for() for _ in range(3)]
    done = claim_for(status=ClaimStatus.REJECTED)
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(
            LIST, {"action": "approve_selected", "_selected_action": [c.pk for c in batch + [done]]}
        )
    assert {c.status for c in type(done).objects.filter(pk__in=[c.pk for c in batch])} == {
        ClaimStatus.FULFILLED
    }
    others = [claim_for() for _ in range(2)]
    ids = [c.pk for c in others]
    ask = agent_client.post(LIST, {"action": "reject_selected", "_selected_action": ids})
    assert "reason" in ask.content.decode()
    agent_client.post(
        LIST, {"action": "reject_selected", "_selected_action": ids, "reason": "Not an affected unit."}
    )
    assert {c.status for c in type(done).objects.filter(pk__in=ids)} == {ClaimStatus.REJECTED}


def test_agent_without_review_permission_cannot_decide(client, claim_for):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_claim"))
    client.force_login(viewer)
    claim = claim_for()
    assert client.post(f"/admin/claims/claim/{claim.pk}/decide/", {"decision": "approve"}).status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW


def test_agents_never_see_a_full_gift_card_code(agent_client, claim_for):
    claim = claim_for(status=ClaimStatus.APPROVED)
    remedy_issue(claim_id=claim.pk)
    card = GiftCard.objects.get(claim=claim)
    for url in [
        f"/admin/claims/claim/{claim.pk}/change/",
        "/admin/fulfilment/giftcard/",
        f"/admin/fulfilment/giftcard/{card.pk}/change/",
    ]:
        page = agent_client.get(url).content.decode()
        assert card.code not in page and card.display_code not in page
    assert card.code[-4:] in agent_client.get("/admin/fulfilment/giftcard/").content.decode()
    assert (
        claim.access_token_hash
        not in agent_client.get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    )


def test_claim_fields_cannot_be_edited(agent_client, claim_for):
    claim = claim_for()
    agent_client.post(f"/admin/claims/claim/{claim.pk}/change/", {"status": "approved", "serial": "X"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW


def test_roles_are_created_with_their_permissions():
    supervisor = Group.objects.get(name=SUPERVISOR).permissions.values_list("codename", flat=True)
    agent = Group.objects.get(name=SUPPORT_AGENT).permissions.values_list("codename", flat=True)
    assert "view_recall_report" in supervisor and "view_refund" in supervisor
    assert "review_claim" in agent and "view_refund" not in agent and "view_recall_report" not in agent


def test_supervisor_finds_dead_lettered_remedies_and_retries_them(
    client, claim_for, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    dead = claim_for(status=ClaimStatus.APPROVED)
    dead.remedy_attempts, dead.remedy_retry_at, dead.remedy_failed_at = 8, None, timezone.now()
    dead.remedy_last_error = "RuntimeError: provider exploded"
    dead.save()
    healthy = claim_for(status=ClaimStatus.NEEDS_REVIEW)
    client.force_login(staff("boss", SUPERVISOR))

    page = client.get(LIST, {"remedy_failed": "yes"}).content.decode()
    assert dead.reference in page and healthy.reference not in page
    detail = client.get(f"{LIST}{dead.pk}/change/").content.decode()
    assert "provider exploded" in detail and "Accepted terms" in detail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            LIST, {"action": "retry_remedy_selected", "_selected_action": [dead.pk]}, follow=True
        )
    assert response.status_code == 200
    dead.refresh_from_db()
    assert dead.status == ClaimStatus.FULFILLED and dead.remedy_failed_at is None


def test_agents_cannot_retry_remedies(agent_client, claim_for):
    claim = claim_for(status=ClaimStatus.APPROVED)
    page = agent_client.get(LIST).content.decode()
    assert "retry_remedy_selected" not in page
    agent_client.post(LIST, {"action": "retry_remedy_selected", "_selected_action": [claim.pk]})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_supervisor_sees_failed_messages_and_sends_them_again(
    client, claim_for, django_capture_on_commit_callbacks, mailoutbox
):
    from core.models import OutboxMessage

    claim = claim_for()
    failed = OutboxMessage.objects.create(
        topic=OutboxMessage.Topic.CLAIM_EMAIL,
        payload={"claim_id": claim.pk, "template": "received"},
        status=OutboxMessage.Status.FAILED,
        attempts=8,
        last_error="ConnectionRefusedError: SMTP down",
    )
    client.force_login(staff("boss", SUPERVISOR))
    page = client.get("/admin/core/outboxmessage/", {"status__exact": "failed"}).content.decode()
    assert "SMTP down" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/core/outboxmessage/", {"action": "retry_selected", "_selected_action": [failed.pk]}
        )
    failed.refresh_from_db()
    assert failed.status == "delivered" and len(mailoutbox) == 1
