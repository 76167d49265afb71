"""Staff logins: 5 failures in 15 minutes lock the user name, or the client, for 15 minutes; pages send a CSP."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def agent(db):
    return User.objects.create_user("agent1", password="the-right-password-1", is_staff=True)


def attempt(client, username, password, ip="198.51.100.7"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_a_user_name_is_locked_after_five_failures_even_with_the_right_password(client, agent):
    for n in range(5):  # from five different clients: the user name itself is locked
        assert not logged_in(attempt(client, "agent1", "wrong", ip=f"198.51.100.{n}"))
    refused = attempt(client, "agent1", "the-right-password-1", ip="203.0.113.9")
    assert refused.status_code == 429 and not logged_in(refused)
    assert b"Too many failed logins" in refused.content


def test_a_client_is_locked_after_five_failures_whatever_user_names_it_tries(client, agent):
    for n in range(5):
        attempt(client, f"guess{n}", "wrong")
    assert attempt(client, "agent1", "the-right-password-1").status_code == 429
    # another client can still log in as the agent
    assert logged_in(attempt(client, "agent1", "the-right-password-1", ip="203.0.113.10"))


def test_forwarded_for_does_not_dodge_the_client_lockout_without_proxies(client, agent):
    for n in range(5):
        client.post(
            LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    assert attempt(client, "agent1", "the-right-password-1").status_code == 429


def test_four_failures_then_the_right_password_logs_in(client, agent):
    for _ in range(4):
        attempt(client, "agent1", "wrong")
    assert logged_in(attempt(client, "agent1", "the-right-password-1"))


@pytest.mark.parametrize("url", ["/", "/admin/login/", "/api/docs/", "/status/"])
def test_pages_send_a_content_security_policy_without_inline_scripts(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy
    assert b"<script>" not in response.content  # every script is a file the policy allows


def test_the_api_docs_are_served_from_this_server(client):
    page = client.get("/api/docs/").content.decode()
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page


def test_behind_a_proxy_one_client_locked_out_does_not_lock_out_the_others(client, agent, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"
    for n in range(5):
        client.post(
            LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )
    locked = client.post(
        LOGIN,
        {"username": "agent1", "password": "the-right-password-1", "next": "/admin/"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.66",
    )
    assert locked.status_code == 429
    other = client.post(
        LOGIN,
        {"username": "agent1", "password": "the-right-password-1", "next": "/admin/"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.20",
    )
    assert logged_in(other)


# --- The second factor (TOTP), always on in production settings ----------------------------------


def enrol(username: str) -> TOTPDevice:
    out = io.StringIO()
    call_command("enrol_totp", username, stdout=out)
    assert "otpauth://totp/" in out.getvalue()
    return TOTPDevice.objects.get(user__username=username)


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}"


def test_production_settings_ask_staff_for_a_second_factor():
    source = (Path(__file__).resolve().parent.parent / "config" / "settings" / "production.py").read_text()
    assert "\nSTAFF_TWO_FACTOR = True\n" in source


@override_settings(STAFF_TWO_FACTOR=True)
def test_the_right_password_without_the_code_does_not_sign_in(client, agent):
    enrol("agent1")

    response = attempt(client, "agent1", "the-right-password-1")

    assert not logged_in(response)
    assert client.get("/admin/").status_code == 302  # back to the login page


@override_settings(STAFF_TWO_FACTOR=True)
def test_the_password_and_the_authenticator_code_sign_in(client, agent):
    device = enrol("agent1")

    response = client.post(
        LOGIN,
        {
            "username": "agent1",
            "password": "the-right-password-1",
            "otp_token": code_of(device),
            "next": "/admin/",
        },
        REMOTE_ADDR="198.51.100.7",
    )

    assert logged_in(response)
    assert client.get("/admin/").status_code == 200


@override_settings(STAFF_TWO_FACTOR=True)
def test_a_session_signed_in_without_the_second_factor_is_refused(client, agent):
    client.force_login(agent)  # a password-only session, from before the second factor was on

    assert client.get("/admin/").status_code == 302


@override_settings(STAFF_TWO_FACTOR=True)
def test_the_login_page_asks_for_the_code(client):
    assert b'name="otp_token"' in client.get(LOGIN).content


def test_enrolling_again_needs_replace(agent):
    first = enrol("agent1")
    with pytest.raises(CommandError, match="--replace"):
        call_command("enrol_totp", "agent1", stdout=io.StringIO())
    call_command("enrol_totp", "agent1", "--replace", stdout=io.StringIO())
    assert TOTPDevice.objects.get(user=agent).key != first.key


def test_only_staff_are_enrolled(db):
    User.objects.create_user("customer", password="x")
    with pytest.raises(CommandError, match="not a staff account"):
        call_command("enrol_totp", "customer", stdout=io.StringIO())
