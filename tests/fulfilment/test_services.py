import pytest
from django.core.management import call_command

from claims.models import ClaimEvent, ClaimStatus
from claims.services import claim_approve
from core.errors import ApplicationError
from core.models import OutboxMessage
from fulfilment.models import GiftCard, Refund, Replacement
from fulfilment.services import gift_card_check, gift_card_redeem, remedies_sweep_due, remedy_issue
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim_for(us_recall):
    model = us_recall.models.get()

    def make(country="US", remedy="gift_card", **kwargs):
        return ClaimFactory(recall=us_recall, model=model, country=country, remedy=remedy, **kwargs)

    return make


def approve(claim, capture):
    with capture(execute=True):
        claim_approve(claim=claim, agent_id="agent-1")
    claim.refresh_from_db()
    return claim


def test_approved_gift_card_claim_is_fulfilled_once(
    claim_for, django_capture_on_commit_callbacks, mailoutbox
):
    claim = approve(claim_for(), django_capture_on_commit_callbacks)
    assert claim.status == ClaimStatus.FULFILLED
    card = GiftCard.objects.get(claim=claim)
    assert (str(card.amount), card.currency) == ("40.00", "USD")
    assert len(card.code) == 16 and set(card.code) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    # The task delivered again changes nothing.
    remedy_issue(claim_id=claim.pk)
    remedy_issue(claim_id=claim.pk)
    assert GiftCard.objects.filter(claim=claim).count() == 1
    assert claim.events.filter(kind=ClaimEvent.Kind.REMEDY_ISSUED).count() == 1
    assert [e.new_status for e in claim.events.filter(kind=ClaimEvent.Kind.STATUS_CHANGED)] == [
        "approved",
        "fulfilling",
        "fulfilled",
    ]
    fulfilled_mail = [m for m in mailoutbox if card.display_code in m.body]
    assert len(fulfilled_mail) == 1


def test_disposal_first_market_holds_the_remedy(claim_for, django_capture_on_commit_callbacks):
    claim = approve(claim_for(country="DE", remedy="refund"), django_capture_on_commit_callbacks)
    assert claim.status == ClaimStatus.AWAITING_DISPOSAL
    remedy_issue(claim_id=claim.pk)  # a stray delivery does not jump the queue
    assert not Refund.objects.filter(claim=claim).exists()


def test_replacement_is_fulfilled_when_shipped(
    claim_for, django_capture_on_commit_callbacks, tmp_path, capsys
):
    claim = approve(claim_for(remedy="replacement"), django_capture_on_commit_callbacks)
    assert claim.status == ClaimStatus.FULFILLING
    order = Replacement.objects.get(claim=claim)
    assert order.model == claim.model and order.shipping_status == "pending"

    call_command("replacements_export", output=tmp_path / "open.csv")
    exported = (tmp_path / "open.csv").read_text()
    assert claim.reference in exported and "A1263" in exported

    tracking = tmp_path / "tracking.csv"
    tracking.write_text(
        f"reference,tracking_number,carrier\n{claim.reference},1Z999,UPS\nRC-NOPE,1Z000,UPS\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replacements_import_tracking", str(tracking))
    out, err = capsys.readouterr()
    assert "1 rows applied, 1 refused" in out
    assert "line 3: RC-NOPE" in err
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    # importing the same file again changes nothing
    call_command("replacements_import_tracking", str(tracking))
    assert Replacement.objects.get(claim=claim).tracking_number == "1Z999"
    assert claim.events.filter(kind=ClaimEvent.Kind.REMEDY_ISSUED).count() == 2  # ordered, shipped


def test_refund_is_fulfilled_when_paid(
    us_recall, claim_for, django_capture_on_commit_callbacks, tmp_path, capsys
):
    us_recall.market_rules.filter(country="DE").update(disposal_before_remedy=False)
    claim = approve(claim_for(country="DE", remedy="refund"), django_capture_on_commit_callbacks)
    refund = Refund.objects.get(claim=claim)
    assert (str(refund.amount), refund.currency, claim.status) == ("39.99", "EUR", ClaimStatus.FULFILLING)

    call_command("refunds_export", output=tmp_path / "refunds.csv")
    assert claim.reference in (tmp_path / "refunds.csv").read_text()
    paid = tmp_path / "paid.csv"
    paid.write_text(f"reference,payout_reference\n{claim.reference},SEPA-123\n")
    call_command("refunds_import_payments", str(paid))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    assert Refund.objects.get(claim=claim).payout_status == "paid"


def test_cancelled_claim_gets_nothing(claim_for):
    claim = claim_for(status=ClaimStatus.CANCELLED)
    remedy_issue(claim_id=claim.pk)
    assert not GiftCard.objects.exists()


def test_gift_card_check_and_redeem_once(claim_for, django_capture_on_commit_callbacks, capsys):
    claim = approve(claim_for(), django_capture_on_commit_callbacks)
    card = GiftCard.objects.get(claim=claim)
    typed = card.display_code.lower()
    assert gift_card_check(code=typed) == card
    assert gift_card_check(code="AAAA-BBBB") is None
    gift_card_redeem(code=card.display_code)
    with pytest.raises(ApplicationError) as again:
        gift_card_redeem(code=card.display_code)
    assert again.value.code == "gift_card_not_active"
    call_command("giftcard", card.display_code)
    assert "redeemed" in capsys.readouterr().out


def test_sweep_finds_claims_whose_remedy_was_never_issued(claim_for, django_capture_on_commit_callbacks):
    lost = claim_for(status=ClaimStatus.APPROVED)
    waiting = claim_for(status=ClaimStatus.AWAITING_DISPOSAL)
    with django_capture_on_commit_callbacks(execute=False):
        assert remedies_sweep_due() == [lost.pk]
        assert remedies_sweep_due() == []  # its next attempt is later now
    remedy_issue(claim_id=lost.pk)
    lost.refresh_from_db()
    assert lost.remedy_retry_at is None
    assert waiting.pk not in remedies_sweep_due()


def test_sweep_task_requeues_lost_claims(claim_for, django_capture_on_commit_callbacks):
    from fulfilment.tasks import remedies_sweep

    lost = claim_for(status=ClaimStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        assert remedies_sweep() == 1  # eager in tests: the re-queued task runs at once
    lost.refresh_from_db()
    assert lost.status == ClaimStatus.FULFILLED


def test_gift_card_webhook_goes_through_the_outbox_signed(
    claim_for, django_capture_on_commit_callbacks, settings
):
    import hashlib
    import hmac
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []
    replies = iter([503, 200])

    class Provider(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(next(replies))
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.GIFT_CARD_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    settings.GIFT_CARD_WEBHOOK_SECRET = "s3cret"
    try:
        from core.outbox import TransientDeliveryError, outbox_deliver

        claim = claim_for(status=ClaimStatus.APPROVED)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            remedy_issue(claim_id=claim.pk)
        assert callbacks  # delivery is queued only after commit
        message = OutboxMessage.objects.get(topic=OutboxMessage.Topic.GIFT_CARD_ISSUED)
        with pytest.raises(TransientDeliveryError):
            outbox_deliver(message_id=message.pk)  # 503: to be retried
        outbox_deliver(message_id=message.pk)  # 200
        outbox_deliver(message_id=message.pk)  # delivered already: nothing sent
    finally:
        server.shutdown()
    message.refresh_from_db()
    assert message.status == "delivered"
    assert [a.status_code for a in message.delivery_attempts.all()] == [503, 200]
    assert len(received) == 2
    headers, body = received[-1]
    expected = hmac.new(b"s3cret", headers["X-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == f"sha256={expected}"
    assert json.loads(body)["data"]["claim_reference"] == claim.reference
    assert headers["X-Event-Id"] == str(message.event_id)


def test_claim_api_shows_the_fulfilment(api, us_recall, django_capture_on_commit_callbacks):
    body = {
        "model_number": "A1263",
        "serial": "AH23060000000042",
        "country": "US",
        "remedy": "gift_card",
        "name": "Ann",
        "email": "ann@example.com",
        "address_line1": "1 Main St",
        "city": "Springfield",
        "postal_code": "12345",
    }
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/claims/", body, format="json").json()
    shown = api.get(
        f"/api/v1/claims/{created['reference']}/", HTTP_AUTHORIZATION=f"Bearer {created['access_token']}"
    ).json()
    card = GiftCard.objects.get()
    assert shown["status"] == "fulfilled"
    assert shown["fulfilment"] == {
        "type": "gift_card",
        "code": card.display_code,
        "amount": "40.00",
        "currency": "USD",
    }


def test_csv_import_refuses_a_file_without_the_columns(tmp_path):
    from django.core.management import CommandError

    bad = tmp_path / "bad.csv"
    bad.write_text("ref;tracking\nRC-1;2\n")
    with pytest.raises(CommandError, match="lacks the column"):
        call_command("replacements_import_tracking", str(bad))


def test_many_claims_from_one_email_wait_for_an_agent(us_recall, settings):
    from claims.models import ClaimFlag
    from claims.services import ClaimSubmission, claim_submit

    settings.CLAIMS_PER_CONTACT_BEFORE_REVIEW = 2

    def submit(n: int, email: str):
        return claim_submit(
            submission=ClaimSubmission(
                model_number="A1263",
                serial=f"AH2306{n:010d}",
                country="US",
                remedy="gift_card",
                name="Reseller",
                email=email,
                address_line1=f"{n} Different Road",
                city="Springfield",
                postal_code="12345",
            )
        ).claim

    first, second = submit(1, "shop@example.com"), submit(2, "SHOP@example.com")
    third = submit(3, "shop@example.com")
    assert [first.status, second.status] == [ClaimStatus.APPROVED, ClaimStatus.APPROVED]
    assert third.status == ClaimStatus.NEEDS_REVIEW
    assert third.flags.get().reason == ClaimFlag.Reason.MANY_CLAIMS_FROM_CONTACT


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil.example","Click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_exports_neutralise_every_cell_a_spreadsheet_reads_as_a_formula(
    claim_for, django_capture_on_commit_callbacks, tmp_path, hostile
):
    import csv

    shipped = claim_for(remedy="replacement", customer_name=hostile, address_line1=hostile)
    paid = claim_for(country="DE", remedy="refund", customer_name=hostile, status=ClaimStatus.FULFILLING)
    approve(shipped, django_capture_on_commit_callbacks)
    remedy_issue(claim_id=paid.pk)
    for command, name in (("replacements_export", "open.csv"), ("refunds_export", "refunds.csv")):
        call_command(command, output=tmp_path / name)
        rows = list(csv.reader((tmp_path / name).open(newline="")))
        cells = [cell for row in rows[1:] for cell in row]
        assert f"'{hostile}" in cells, (command, rows)
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), (command, rows)
