"""Campaigns in the admin, for supervisors only: added, started, paused and resumed from their page,
their waves' plan edited until planned, the funnel and the notice shown; and the call list."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from core.roles import SUPERVISOR, SUPPORT_AGENT
from outreach.models import Campaign, Channel, Notice, Wave
from outreach.services import campaign_start
from tests.outreach.owners import campaign_with_waves, known_owner, notice

pytestmark = pytest.mark.django_db

LIST = reverse("admin:outreach_campaign_changelist")
ADD = reverse("admin:outreach_campaign_add")
CALLS = reverse("admin:outreach_calllistentry_changelist")


def change(campaign: Campaign) -> str:
    return reverse("admin:outreach_campaign_change", args=[campaign.pk])


def run(campaign: Campaign, verb: str) -> str:
    return reverse(f"admin:outreach_campaign_{verb}", args=[campaign.pk])


def staff(username: str, role: str | None = None) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def supervisor(client, staff_roles):
    user = staff("sue", SUPERVISOR)
    client.force_login(user)
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_list_shows_each_campaign_with_the_owners_notified_so_far(client, supervisor, us_recall):
    us = campaign_with_waves(us_recall, "US", [Channel.EMAIL, Channel.SMS])
    told_twice, told_once = known_owner(us_recall), known_owner(us_recall)
    notice(us, 1, told_twice)
    notice(us, 2, told_twice, status=Notice.Status.BOUNCED)
    notice(us, 1, told_once)
    notice(us, 2, known_owner(us_recall), status=Notice.Status.PENDING)
    Campaign.objects.create(recall=us_recall, country="DE", daily_limit=500)
    page = client.get(LIST).content.decode()
    assert 'class="sortable column-notified"' in page
    assert '<td class="field-notified">2</td>' in page  # each owner once, bounced included
    assert '<td class="field-notified">0</td>' in page
    assert '<td class="field-limit">500</td>' in page and "Draft" in page


def test_support_agents_are_refused_everything(client, staff_roles, us_recall):
    campaign = campaign_start(recall=us_recall, country="US")
    client.force_login(staff("ann", SUPPORT_AGENT))
    for url in (LIST, ADD, change(campaign), CALLS):
        assert client.get(url).status_code == 403, url
    assert client.post(run(campaign, "pause")).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    assert LIST not in client.get(reverse("admin:index")).content.decode()


def test_starting_needs_the_run_permission(client, staff_roles, us_recall):
    campaign = Campaign.objects.create(recall=us_recall, country="US")
    watcher = staff("wendy")
    watcher.user_permissions.add(
        *Group.objects.get(name=SUPERVISOR).permissions.exclude(codename="run_campaign")
    )
    client.force_login(watcher)
    page = client.get(change(campaign)).content.decode()
    assert client.get(change(campaign)).status_code == 200 and run(campaign, "start") not in page
    assert client.post(run(campaign, "start")).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_add_then_start_pause_and_resume_from_the_campaigns_page(
    client, supervisor, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    known_owner(us_recall)
    known_owner(us_recall, country="DE")
    response = client.post(ADD, {"recall": us_recall.pk, "country": "US", "daily_limit": 250}, follow=True)
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.daily_limit) == ("draft", 250)
    assert response.redirect_chain == [(change(campaign), 302)]  # where it is started
    page = response.content.decode()
    assert run(campaign, "start") in page and run(campaign, "pause") not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run(campaign, "start"), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING and campaign.waves.count() == 4
    assert messages_of(response) == [
        f"The {campaign} campaign is running: its first wave reaches 1 owner(s)."
    ]
    assert len(mailoutbox) == 1
    assert run(campaign, "pause") in response.content.decode()

    response = client.post(run(campaign, "pause"), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    assert run(campaign, "resume") in response.content.decode()
    response = client.post(run(campaign, "pause"), follow=True)  # twice: the service says why not
    assert messages_of(response) == [f"The {campaign} campaign is not running."]
    assert [m.level_tag for m in response.context["messages"]] == ["error"]

    client.post(run(campaign, "resume"))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    assert client.get(run(campaign, "pause")).status_code == 302  # a GET changes nothing
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING


def test_resuming_a_campaign_that_is_not_paused_says_why(client, supervisor, us_recall):
    """The supervisor reads the service's reason, as for a pause twice, not a server error."""
    campaign = campaign_with_waves(us_recall, "US", [Channel.EMAIL])
    response = client.post(run(campaign, "resume"), follow=True)
    assert messages_of(response) == [f"The {campaign} campaign is not paused."]
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING


def test_an_ended_campaign_cannot_start_again(client, supervisor, us_recall):
    campaign = Campaign.objects.create(recall=us_recall, country="US", status=Campaign.Status.ENDED)
    response = client.post(run(campaign, "start"), follow=True)
    assert messages_of(response) == [f"The {campaign} campaign has ended."]


def test_a_campaign_is_added_only_for_a_market_of_its_recall(client, supervisor, us_recall):
    response = client.post(ADD, {"recall": us_recall.pk, "country": "JP", "daily_limit": 100})
    assert response.status_code == 200 and not Campaign.objects.exists()
    form = response.context["adminform"].form
    assert "JP" not in dict(form.fields["country"].choices)
    response = client.post(ADD, {"recall": us_recall.pk, "country": "DE", "daily_limit": 100})
    assert response.status_code == 302
    response = client.post(ADD, {"recall": us_recall.pk, "country": "DE", "daily_limit": 100})
    assert response.status_code == 200 and Campaign.objects.count() == 1  # one campaign per market


def wave_form(campaign: Campaign, changes: dict[int, tuple[int, str]]) -> dict:
    data = {
        "daily_limit": campaign.daily_limit,
        "waves-TOTAL_FORMS": campaign.waves.count(),
        "waves-INITIAL_FORMS": campaign.waves.count(),
        "waves-MIN_NUM_FORMS": 0,
        "waves-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for index, wave in enumerate(campaign.waves.order_by("number")):
        day, channel = changes.get(wave.number, (wave.day, wave.channel))
        data |= {
            f"waves-{index}-id": wave.pk,
            f"waves-{index}-campaign": campaign.pk,
            f"waves-{index}-day": day,
            f"waves-{index}-channel": channel,
        }
    return data


def test_only_a_wave_not_yet_planned_may_change_its_day_and_channel(client, supervisor, us_recall):
    known_owner(us_recall)
    campaign = campaign_start(recall=us_recall, country="US")
    response = client.post(
        change(campaign), wave_form(campaign, {1: (3, Channel.LETTER), 2: (10, Channel.LETTER)})
    )
    assert response.status_code == 302
    assert list(campaign.waves.values_list("number", "day", "channel")) == [
        (1, 0, Channel.EMAIL),  # planned: its notices are written, it stays as it was
        (2, 10, Channel.LETTER),
        (3, 21, Channel.LETTER),
        (4, 45, Channel.CALL),
    ]
    assert not Wave.objects.filter(campaign=campaign, number__gt=4).exists()


def test_the_page_shows_the_funnel_and_its_chart(client, supervisor, us_recall):
    campaign = campaign_with_waves(us_recall, "US", [Channel.EMAIL, Channel.SMS])
    for n in range(3):
        notice(campaign, 1, known_owner(us_recall), opened=n < 2, checked=n < 1)
    notice(campaign, 1, known_owner(us_recall, email=""), channel=Channel.SMS)
    page = client.get(change(campaign)).content.decode()
    funnel = page.split('id="funnel"')[1].split("</section>")[0]
    cells = ["4", "4", "4", "2", "1", "0", "0", "0"]  # planned, notified, delivered, opened, checked...
    assert "".join(f'<td class="num">{c}</td>' for c in cells) in funnel.split('class="total"')[1]
    assert "(fallback)" in funnel
    chart = funnel.split("<svg")[1].split("</svg>")[0]
    assert "<script" not in funnel
    assert chart.count("<rect") == 2 * 6  # two waves, six stages
    assert "<title>Wave 1: E-mail, day 0: opened 2</title>" in chart


def test_the_notice_is_previewed_in_german_and_english_for_a_german_market(client, supervisor, us_recall):
    campaign = Campaign.objects.create(recall=us_recall, country="DE")
    page = client.get(change(campaign)).content.decode()
    preview = page.split('id="notice-preview"')[1]
    german, english = preview.split('<article class="preview" lang="de">')[1].split('lang="en">')
    assert "German (the market's language)" in german
    assert "Produktsicherheitsrückruf" in german and "PRODUKTSICHERHEITSRÜCKRUF" in german
    assert "Benutzen und laden Sie es ab sofort nicht mehr." in german  # the SMS
    assert "Ihre kostenlose Abhilfe:" in german and "EUR" in german  # the German market's remedies
    assert "Product safety recall: Test recall" in english and "Stop using and charging it now." in english
    assert "Produkt" not in english


def test_the_call_list_and_its_called_action(client, supervisor, us_recall):
    running = campaign_with_waves(us_recall, "US", [Channel.CALL])
    paused = campaign_with_waves(us_recall, "DE", [Channel.CALL])
    Campaign.objects.filter(pk=paused.pk).update(status=Campaign.Status.PAUSED)
    due = notice(
        running, 1, known_owner(us_recall, name="Carl Caller", phone="+12025550123"), status="pending"
    )
    notice(running, 1, known_owner(us_recall), status=Notice.Status.SENT)
    notice(paused, 1, known_owner(us_recall, country="DE", name="Paula Paused"), status="pending")
    page = client.get(CALLS).content.decode()
    assert "Carl Caller" in page and '<a href="tel:+12025550123">' in page and due.owner.serial in page
    assert "Paula Paused" not in page
    response = client.post(CALLS, {"action": "mark_called", "_selected_action": [due.pk]}, follow=True)
    assert messages_of(response) == ["1 call(s) recorded."]
    due.refresh_from_db()
    assert due.status == Notice.Status.SENT and due.sent_at is not None
    assert "Carl Caller" not in client.get(CALLS).content.decode()
