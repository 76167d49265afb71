"""Throttles count every request of a burst: one atomic step of the cache each, never a lost update."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework import exceptions, throttling
from rest_framework.test import APIRequestFactory

from core.cache import FileCache
from core.throttling import CountingRateThrottle, ScopedRateThrottle
from disposal import authentication

AT_ONCE = 20


class SlowWriteCache(LocMemCache):
    """A cache whose writes take a while, as writing a file or a network round trip does: requests that
    read a count, add theirs and write it back all read it before any has written."""

    def set(self, *args, **kwargs):
        time.sleep(0.005)
        return super().set(*args, **kwargs)


@pytest.fixture
def slow_cache(monkeypatch):
    cache = SlowWriteCache("throttle-test", {})
    monkeypatch.setattr(throttling.SimpleRateThrottle, "cache", cache)  # DRF's throttles and ours
    return cache


def at_once(call, n: int = AT_ONCE) -> list:
    start = threading.Barrier(n)

    def one(_):
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def partner_answer(request) -> str:
    """How the partner API's authentication answers the request: in, refused or throttled."""
    try:
        authentication.FacilityTokenAuthentication().authenticate(request)
    except exceptions.Throttled:
        return "throttled"
    except exceptions.AuthenticationFailed:
        return "refused"
    return "in"


def test_a_burst_from_one_client_passes_the_rate_and_no_more(slow_cache, monkeypatch):
    # given a scope of 5 requests a minute
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"claims": "5/minute"})
    view = SimpleNamespace(throttle_scope="claims")
    request = APIRequestFactory().post("/api/v1/claims/", REMOTE_ADDR="203.0.113.7")
    request.user = None

    # when 20 requests of one client arrive at the same moment
    allowed = at_once(lambda: ScopedRateThrottle().allow_request(request, view))

    # then 5 pass
    assert allowed.count(True) == 5


def test_a_throttled_client_waits_until_its_window_ends(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"claims": "2/minute"})
    monkeypatch.setattr(CountingRateThrottle, "cache", LocMemCache("throttle-wait", {}))
    monkeypatch.setattr(CountingRateThrottle, "timer", lambda self: 6000 + 45.5)  # 45.5 s into a minute
    view = SimpleNamespace(throttle_scope="claims")
    request = APIRequestFactory().post("/api/v1/claims/", REMOTE_ADDR="203.0.113.8")
    request.user = None
    throttle = ScopedRateThrottle()

    assert [throttle.allow_request(request, view) for _ in range(3)] == [True, True, False]
    assert throttle.wait() == pytest.approx(14.5)


def test_the_embedded_file_cache_keeps_a_counters_expiry_when_it_counts(tmp_path, monkeypatch):
    # given an hour's counter, and a clock
    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    cache = FileCache(str(tmp_path), {})
    cache.add("counter", 0, 3600)

    # when it counts one after 301 s, and is read 301 s later
    clock[0] += 301
    cache.incr("counter")
    clock[0] += 301

    # then it still counts it (Django's file cache wrote it back for its default 300 s)
    assert cache.get("counter") == 1
    clock[0] += 3000
    assert cache.get("counter") is None


def test_the_embedded_file_cache_counts_every_increment(tmp_path):
    cache = FileCache(str(tmp_path), {})
    cache.add("counter", 0)

    at_once(lambda: [cache.incr("counter") for _ in range(10)])

    assert cache.get("counter") == AT_ONCE * 10


def test_guessed_partner_tokens_sent_at_once_are_all_counted(slow_cache, monkeypatch):
    # given 3 wrong tokens a minute allowed
    monkeypatch.setattr(
        authentication.FailedAuthenticationThrottle, "THROTTLE_RATES", {"partner_auth_failures": "3/minute"}
    )
    checked = []
    monkeypatch.setattr(authentication, "facility_for_token", lambda token: checked.append(token))
    request = APIRequestFactory().get(
        "/api/v1/partner/", HTTP_AUTHORIZATION="Token guess", REMOTE_ADDR="198.51.100.9"
    )

    # when 20 guesses arrive at the same moment
    at_once(lambda: partner_answer(request))

    # then every one of them counted: the next guess is turned away unchecked
    checked.clear()
    assert partner_answer(request) == "throttled"
    assert checked == []


def test_a_right_partner_token_counts_for_nothing(monkeypatch):
    monkeypatch.setattr(
        authentication.FailedAuthenticationThrottle, "THROTTLE_RATES", {"partner_auth_failures": "2/minute"}
    )
    monkeypatch.setattr(CountingRateThrottle, "cache", LocMemCache("throttle-partner", {}))
    facility = object()
    monkeypatch.setattr(
        authentication, "facility_for_token", lambda token: facility if token == "right" else None
    )
    factory = APIRequestFactory()

    def answer(token: str) -> str:
        return partner_answer(
            factory.get("/api/v1/partner/", HTTP_AUTHORIZATION=f"Token {token}", REMOTE_ADDR="198.51.100.10")
        )

    answers = [answer(token) for token in ["right"] * 5 + ["wrong", "wrong", "wrong", "right"]]

    assert answers == ["in"] * 5 + ["refused", "refused", "throttled", "throttled"]
