"""Fair-use budgets as token buckets in the store (on the in-memory store, and on a MongoDB wire
server under ``make test-mongo``), and where a request is counted as coming from."""
import threading

import pytest

from commonplace.addresses import client_address
from gateway.rate_limits import Budget, Buckets

T0 = 1_800_000_000.0
WRITES = Budget("writes", 6)  # a token every 10 s


@pytest.fixture
def buckets(memory_db):
    kept = Buckets(memory_db("gateway"))
    kept.prepare()
    return kept


def test_a_full_bucket_is_spent_at_once_counting_down_then_refused_until_a_token_is_back(buckets):
    taken = [buckets.take("person:ann", WRITES, T0 + n * 0.1) for n in range(6)]
    assert [d.allowed for d in taken] == [True] * 6
    assert [d.remaining for d in taken] == [5, 4, 3, 2, 1, 0]
    refused = buckets.take("person:ann", WRITES, T0 + 0.6)
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after == 10  # the first token comes back 10 s after it was spent
    assert not buckets.take("person:ann", WRITES, T0 + 9.0).allowed
    back = buckets.take("person:ann", WRITES, T0 + 10.05)
    assert back.allowed and back.remaining == 0


def test_a_bucket_left_alone_fills_up_to_its_size_and_no_further(buckets):
    for n in range(6):
        buckets.take("key:k1", WRITES, T0)
    assert buckets.take("key:k1", WRITES, T0 + 31).remaining == 2  # three tokens back, one spent
    rested = buckets.take("key:k1", WRITES, T0 + 3600)
    assert rested.allowed and rested.remaining == 5 and rested.reset == 10


def test_budgets_and_keys_are_buckets_of_their_own(buckets):
    for _ in range(6):
        buckets.take("writes|person:ann", WRITES, T0)
    assert not buckets.take("writes|person:ann", WRITES, T0).allowed
    assert buckets.take("reads|person:ann", Budget("reads", 10), T0).allowed
    assert buckets.take("writes|person:bob", WRITES, T0).allowed


def test_takers_at_once_get_no_more_than_the_bucket_holds(buckets):
    results = []

    def take():
        results.append(buckets.take("person:ann", Budget("writes", 20), T0).allowed)

    threads = [threading.Thread(target=take) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 20


def test_the_answer_says_the_policy_what_is_left_and_when_to_come_back(buckets):
    for _ in range(6):
        allowed = buckets.take("person:ann", WRITES, T0)
    assert allowed.headers() == {"RateLimit-Policy": '"writes";q=6;w=60', "RateLimit": '"writes";r=0;t=60'}
    assert buckets.take("person:ann", WRITES, T0).headers()["Retry-After"] == "10"


def test_the_forgotten_are_only_buckets_long_full(buckets):
    buckets.take("person:ann", WRITES, T0)
    buckets.take("person:bob", WRITES, T0 + 3000)
    buckets.forget_full(T0 + 3700)
    assert [b["_id"] for b in buckets.buckets.find()] == ["person:bob"]


@pytest.mark.parametrize("peer,forwarded,counted", [
    ("93.184.216.34", None, "93.184.216.34"),
    ("93.184.216.34", "10.0.0.1", "93.184.216.34"),  # a client on the internet cannot pick its address
    ("10.1.2.3", "198.51.100.7", "198.51.100.7"),  # the web app, or an ingress, said who called it
    ("127.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # what the caller wrote before is not believed
    ("127.0.0.1", "not an address", "127.0.0.1"),
])
def test_a_request_counts_under_its_peer_or_what_an_internal_proxy_added(peer, forwarded, counted):
    assert client_address(peer, forwarded) == counted
