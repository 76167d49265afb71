"""Staff logins: 5 failures in 15 minutes lock the user name, or the client, for 15 minutes; pages send a CSP."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

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
