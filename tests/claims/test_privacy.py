import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from claims.models import Claim, ClaimDocument, ClaimStatus
from fulfilment.services import remedy_issue
from reports.selectors import recall_report_rows
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def age(claim, days):
    """The claim closed (or, if open, was last changed) ``days`` ago."""
    claim.refresh_from_db()
    shift = datetime.timedelta(days=days)
    Claim.objects.filter(pk=claim.pk).update(
        updated_at=claim.updated_at - shift,
        closed_at=claim.closed_at - shift if claim.closed_at else None,
    )


def test_closed_claims_lose_personal_data_but_keep_the_figures(
    us_recall, settings, tmp_path, capsys, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    model = us_recall.models.get()
    old = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED, phone="+12025550100")
    remedy_issue(claim_id=old.pk)  # fulfilled: a closed claim
    document = ClaimDocument(
        claim=old, kind="product_photo", content_type="image/png", sha256="a" * 64, size=3
    )
    document.file.save("photo", ContentFile(b"png"), save=True)
    stored = document.file.name
    recent = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.REJECTED)
    still_open = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.NEEDS_REVIEW)
    for claim in (old, still_open):
        age(claim, 800)
    before = recall_report_rows(recall_code=us_recall.code)

    call_command("erase_personal_data", "--dry-run")
    assert "1 claims" in capsys.readouterr().out
    with django_capture_on_commit_callbacks(execute=True):  # files go once the erasure is committed
        call_command("erase_personal_data", older_than_days=730)

    old.refresh_from_db()
    assert old.customer_name == "erased" and old.phone == "" and old.postal_code == ""
    assert old.email.startswith("erased-")
    assert old.personal_data_erased_at is not None
    assert not old.documents.exists()
    assert not document.file.storage.exists(stored)
    assert all(event.note == "" and event.note_params is None for event in old.events.all())
    assert (old.status, old.country, old.serial) == (ClaimStatus.FULFILLED, "US", old.serial)
    for kept in (recent, still_open):
        kept.refresh_from_db()
        assert kept.personal_data_erased_at is None and kept.customer_name != "erased"
    assert recall_report_rows(recall_code=us_recall.code) == before
    call_command("erase_personal_data", older_than_days=730)
    last = [line for line in capsys.readouterr().out.splitlines() if "claims closed" in line][-1]
    assert last.startswith("0 claims")
