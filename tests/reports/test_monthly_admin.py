"""The monthly report in the admin: supervisors read it, download CSV and PDF, lock a month and enter
the trade's stock counts; agents do none of it."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.urls import reverse

from core.roles import SUPERVISOR, SUPPORT_AGENT
from reports.models import MonthlyReportLock, StockCount
from tests.reports.monthly_data import Programme

pytestmark = pytest.mark.django_db

MONTHLY = reverse("admin:reports_recallreport_monthly")
LOCK = reverse("admin:reports_recallreport_monthly_lock")
STOCK_ADD = reverse("admin:reports_stockcount_add")
STOCK_LIST = reverse("admin:reports_stockcount_changelist")


def staff(username: str, role: str) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def programme():
    return Programme().build()


@time_machine.travel(datetime.datetime(2026, 9, 2, 8, tzinfo=datetime.UTC), tick=False)
def test_a_supervisor_reads_downloads_and_locks_the_month(client, staff_roles, programme):
    client.force_login(staff("sue", SUPERVISOR))
    page = client.get(MONTHLY, {"recall": "R-M"})  # the month last over by default: August
    html = page.content.decode()
    assert page.status_code == 200
    assert "Monthly progress report: August 2026" in html
    assert "Consumers who contacted the firm" in html and "Lock as submitted" in html
    csv = client.get(reverse("admin:reports_recallreport_monthly_csv"), {"month": "2026-08", "recall": "R-M"})
    assert csv["Content-Type"].startswith("text/csv")
    pdf = client.get(reverse("admin:reports_recallreport_monthly_pdf"), {"month": "2026-08", "recall": "R-M"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    locked = client.post(LOCK, {"recall": "R-M", "month": "2026-08"}, follow=True)
    assert "is locked as submitted" in locked.content.decode()
    lock = MonthlyReportLock.objects.get()
    assert (lock.locked_by.username, lock.month) == ("sue", datetime.date(2026, 8, 1))
    assert bytes(lock.csv) == csv.content
    html = client.get(MONTHLY, {"month": "2026-08", "recall": "R-M"}).content.decode()
    assert "Locked as submitted by sue at 2026-09-02 08:00 UTC" in html and "Lock as submitted" not in html
    again = client.post(LOCK, {"recall": "R-M", "month": "2026-08"}, follow=True)
    assert "is locked already" in again.content.decode()
    assert client.get(reverse("admin:reports_monthlyreportlock_changelist")).status_code == 200


def test_a_bad_month_or_recall_is_not_found(client, staff_roles, programme):
    client.force_login(staff("sue", SUPERVISOR))
    assert client.get(MONTHLY, {"month": "2026-13"}).status_code == 404
    assert client.get(MONTHLY, {"month": "2026-08", "recall": "NOPE"}).status_code == 404


def test_agents_cannot_see_or_lock_the_report_nor_enter_stock(client, staff_roles, programme):
    client.force_login(staff("al", SUPPORT_AGENT))
    assert client.get(MONTHLY, {"month": "2026-08"}).status_code == 403
    assert (
        client.get(reverse("admin:reports_recallreport_monthly_pdf"), {"month": "2026-08"}).status_code == 403
    )
    assert client.post(LOCK, {"recall": "R-M", "month": "2026-08"}).status_code == 403
    assert client.get(STOCK_LIST).status_code == 403
    assert client.post(STOCK_ADD, {}).status_code == 403
    assert not MonthlyReportLock.objects.exists()


def test_supervisors_enter_stock_counts_per_recall_month_and_level(client, staff_roles, programme):
    sue = staff("sue", SUPERVISOR)
    client.force_login(sue)
    form = {"recall": programme.recall.pk, "level": "retailer", "units_held": "1200", "units_corrected": "80"}
    refused = client.post(STOCK_ADD, {**form, "month": "August"})
    assert refused.status_code == 200 and "is not a month" in refused.content.decode()
    assert client.post(STOCK_ADD, {**form, "month": "2026-08"}).status_code == 302
    count = StockCount.objects.get(level="retailer")
    assert (count.month, count.units_held, count.units_corrected, count.entered_by) == (
        datetime.date(2026, 8, 1),
        1200,
        80,
        sue,
    )
    twice = client.post(STOCK_ADD, {**form, "month": "2026-08"})
    assert twice.status_code == 200 and "already exists" in twice.content.decode()
    change = client.get(reverse("admin:reports_stockcount_change", args=[count.pk])).content.decode()
    assert 'value="2026-08"' in change
    html = client.get(MONTHLY, {"month": "2026-08", "recall": "R-M"}).content.decode()
    assert '<td>Retailers</td><td class="num">80</td><td class="num">80</td>' in html
