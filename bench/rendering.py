"""What the bodies that once stalled the knowledge service cost now, through the gateway.

Each shape is written three times (``POST``: rendered as it is written, or refused), then read;
a diff of two 20,000-line revisions whose every other line moved is asked for three times; and
while each costly request runs, reads of another artifact are timed beside it.
The figures are medians and worsts of the three (milliseconds).
"""
import statistics
import threading
import time

from tests.unit.test_rendering import LINEAR, TOO_DEEP

ROUNDS = 3


def _timed(call):
    started = time.perf_counter()
    response = call()
    return (time.perf_counter() - started) * 1000, response.status_code


def _beside(platform, costly, bystander):
    """(ms, status) of ``costly()``, and the worst ms of ``bystander`` reads made meanwhile."""
    done, beside = threading.Event(), []

    def read():
        while not done.is_set():
            beside.append(_timed(bystander)[0])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        return _timed(costly), max(beside or [0.0])
    finally:
        done.set()
        reader.join()


def _figures(samples, statuses, beside):
    return {"per_second": 1000 / statistics.median(samples), "p50_ms": statistics.median(samples),
            "p99_ms": max(samples), "status": sorted(set(statuses)), "beside_worst_ms": max(beside)}


def run(platform, owner, community_id):
    path = f"/v1/communities/{community_id}/artifacts"
    plain = platform.call("POST", path, owner, {"kind": "guide", "title": "Plain", "body": "Plain."}).json()
    read_plain = lambda: platform.call("GET", f"/v1/artifacts/{plain['id']}", owner)  # noqa: E731
    results = {}
    for name, body in {**TOO_DEEP, **LINEAR}.items():
        samples, statuses, beside = [], [], []
        for _ in range(ROUNDS):
            (ms, status), worst = _beside(platform, lambda: platform.call(
                "POST", path, owner, {"kind": "guide", "title": name[:200], "body": body}, timeout=60), read_plain)
            samples.append(ms), statuses.append(status), beside.append(worst)
        results[f"write: {name}"] = _figures(samples, statuses, beside)
    older = "".join(f"line {n}\n" for n in range(20_000))
    lines = older.splitlines(keepends=True)
    newer = "".join(lines[1::2] + lines[::2])
    artifact = platform.call("POST", path, owner, {"kind": "guide", "title": "Long", "body": older}).json()
    edited = platform.call("PUT", f"/v1/artifacts/{artifact['id']}", owner,
                           {"title": "Long", "body": newer, "base_revision": 1})
    assert edited.status_code == 200, edited.text
    samples, statuses, beside = [], [], []
    for _ in range(ROUNDS):
        (ms, status), worst = _beside(platform, lambda: platform.call(
            "GET", f"/v1/artifacts/{artifact['id']}/diff?from=1&to=2", owner, timeout=60), read_plain)
        samples.append(ms), statuses.append(status), beside.append(worst)
    results["diff: 20,000 lines, every other moved"] = _figures(samples, statuses, beside)
    return results
