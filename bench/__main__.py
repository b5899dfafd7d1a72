"""Run every benchmark once and print medians and ratios. Not a test: nothing is asserted.

``python -m bench reads`` runs only the read comparison (the platform's authenticated read
against the floor), which is what profiling the read path needs; ``python -m bench knowledge``,
``search``, ``webhooks``, ``inbox``, ``outbox``, ``scale``, ``web``, ``identity`` and ``practice``
only those benchmarks (bench/knowledge.py, bench/search.py: both search engines side by side,
bench/webhooks.py, bench/inbox.py, bench/outbox.py, bench/web.py, bench/identity.py,
bench/practice.py, bench/scale.py: growth and concurrency curves, the longest).
"""
import eventlet

# The platform runner imports the command line, which patches; patched first, the receivers
# of the webhook benchmark (threads and sockets of this process) are green from the start.
eventlet.monkey_patch()

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import nullcontext  # noqa: E402

import requests  # noqa: E402

from bench import identity, inbox, knowledge, outbox, practice, scale, search, web, webhooks  # noqa: E402
from bench.load import closed_loop, combine, paced, wrk, wrk_available  # noqa: E402
from commonplace import config  # noqa: E402
from tests.support.platform import Platform, free_port  # noqa: E402
from tests.support.vhosts import can_make_vhosts, own_vhost  # noqa: E402

CONCURRENCY = 10
READ_ROUNDS = 3
READ_SECONDS = 5  # a round with wrk; about 2,500 requests on this machine's kind
READS_PER_ROUND = 2000  # a round with the Python client, where wrk cannot be had


class Floor:
    """The bare nameko HTTP → RPC pair of ``bench.floor``, each in its own process."""

    def __init__(self, amqp_uri, root):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        log = open(root / "floor.log", "ab")
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "bench.floor", "service", amqp_uri],
                             stdout=log, stderr=log),
            subprocess.Popen([sys.executable, "-m", "bench.floor", "gateway", amqp_uri,
                              f"127.0.0.1:{self.port}"], stdout=log, stderr=log),
        ]
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.base}/v1/communities/c", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the floor did not answer: {(root / 'floor.log').read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self):
        for process in self.processes:
            process.terminate()
            process.wait()


def start_platform(amqp_uri, root):
    # Production intervals: the tests' one-second freshness check would scan the store every second.
    platform = Platform(root, amqp_uri, LOG_LEVEL="INFO", KNOWLEDGE_FRESHNESS_INTERVAL="3600",
                        EXPERTISE_RANKING_SECONDS="10")
    platform.start_all()
    platform.wait_healthy()
    return platform


def seed(platform):
    """(owner token, community id) of a fresh organisation and community."""
    admin = platform.token("root", roles=["platform_admin"])
    platform.call("POST", "/v1/organisations", admin, {"name": "Bench", "slug": "bench"})
    owner = platform.token("owner", "bench")
    community = platform.call("POST", "/v1/communities", owner,
                              {"name": "Bench", "domain": "bench"}).json()["id"]
    return owner, community


def run_reads(platform, floor, owner, community):
    """The platform's authenticated ``GET /v1/communities/{id}`` and the floor's, interleaved
    round by round, from the same client at the same concurrency."""
    urls = {"floor_read": (f"{floor.base}/v1/communities/{community}", ()),
            "gateway_read": (f"{platform.base}/v1/communities/{community}",
                             (f"Authorization: Bearer {owner}",))}
    if wrk_available():
        client = "wrk"

        def measure(url, headers, seconds):
            return wrk(url, seconds, CONCURRENCY, headers)
    else:
        client = "python threads (wrk could not be installed)"

        def measure(url, headers, seconds):
            fields = dict(header.split(": ", 1) for header in headers)
            return closed_loop(lambda session, index: session.get(url, headers=fields),
                               READS_PER_ROUND if seconds > 1 else 300, CONCURRENCY)

    for url, headers in urls.values():
        measure(url, headers, 1)  # warm up
    runs = {name: [] for name in urls}
    for _ in range(READ_ROUNDS):
        for name, (url, headers) in urls.items():
            runs[name].append(measure(url, headers, READ_SECONDS))
    results = {name: {**combine(rounds), "client": client} for name, rounds in runs.items()}
    read_headers = {"Authorization": f"Bearer {owner}"}
    results["gateway_read_paced_100"] = paced(
        lambda session, index: session.get(urls["gateway_read"][0], headers=read_headers), 100, 10)
    return results


def run_writes(platform, owner, community):
    read_path = f"{platform.base}/v1/communities/{community}"
    joiners = [platform.token(f"joiner{i}", "bench") for i in range(3000)]

    def join(session, index):
        return session.post(f"{read_path}/join", headers={"Authorization": f"Bearer {joiners[index]}"})

    results = {"gateway_join": closed_loop(join, 1500, CONCURRENCY)}
    paced_joiners = joiners[1500:]
    results["gateway_join_paced_100"] = paced(
        lambda session, i: session.post(
            f"{read_path}/join", headers={"Authorization": f"Bearer {paced_joiners[i]}"}),
        100, 10,
    )
    results.update(run_registrations(platform, owner, community, joiners))
    return results


def run_registrations(platform, owner, community, members, workshops=30):
    """Registration under contention for one workshop, and spread across many."""
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7)

    def schedule(capacity):
        body = {"title": "Bench", "format": "workshop", "starts_at": start.isoformat(),
                "ends_at": (start + datetime.timedelta(hours=1)).isoformat(), "timezone": "UTC",
                "capacity": capacity, "credits": 1}
        return platform.call("POST", f"/v1/communities/{community}/workshops", owner, body).json()["id"]

    time.sleep(2)  # let the events service's projection take in the last joins
    count = 1500
    contended = schedule(50)

    def register_one(session, index):
        return session.post(f"{platform.base}/v1/workshops/{contended}/registrations",
                            headers={"Authorization": f"Bearer {members[index]}"})

    results = {"register_one_workshop": closed_loop(register_one, count, CONCURRENCY)}
    spread = [schedule(50) for _ in range(workshops)]

    def register_spread(session, index):
        return session.post(f"{platform.base}/v1/workshops/{spread[index % workshops]}/registrations",
                            headers={"Authorization": f"Bearer {members[index]}"})

    results["register_many_workshops"] = closed_loop(register_spread, count, CONCURRENCY)
    return results


def report(results):
    def cell(figures, key):
        return f"{figures[key]:8.2f}" if key in figures else f"{'-':>8}"

    print(f"\n{'benchmark (c=10 unless paced)':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for name, figures in results.items():
        rounds = f"  rounds {figures['rounds']}" if "rounds" in figures else ""
        extra = "".join(f"  {key} {round(figures[key], 1)}" for key in (
            "seconds", "artifacts", "knowledge_rss_mb", "opensearch_rss_mb", "edits", "matches_counted", "delivered",
            "deliveries_per_second", "sent", "queued",
            "left_pending", "beside_worst_ms", "writes", "read", "api_calls", "users", "memberships", "listed",
            "groups_filled_seconds", "learners", "attendance_answered_seconds", "every_progress_seconds", "evidence",
            "scores", "scores_of_t1", "scores_of_t20") if key in figures)
        extra += f"  status {figures['status']}" if "status" in figures else ""
        print(f"{name:32} {figures['per_second']:9.1f} {cell(figures, 'p50_ms')} "
              f"{cell(figures, 'p99_ms')} {figures.get('errors', 0):6}{rounds}{extra}")
    ratios = {}
    if "floor_read" in results:
        floor, read = results["floor_read"], results["gateway_read"]
        print(f"reads measured with {read['client']}, {READ_ROUNDS} interleaved rounds each; "
              "figures are medians of the rounds")
        ratios = {"gateway_read / floor_read (req/s)": read["per_second"] / floor["per_second"],
                  "gateway_read p99 - floor_read p99 (ms)": read["p99_ms"] - floor["p99_ms"]}
    for store in ("publish_only", "embedded", "wire"):
        baseline = results.get(f"outbox_{store}_one_confirm_per_event")
        if baseline:
            for run in ("batches", "batches_3_relays"):
                if f"outbox_{store}_{run}" in results:
                    ratios[f"outbox {store}: {run} / one_confirm_per_event"] = (
                        results[f"outbox_{store}_{run}"]["per_second"] / baseline["per_second"])
    ratios.update(scale.growth_ratios(results))
    if "read_platform_token" in results:
        ratios["read_platform_token / read_hs256_token (req/s)"] = (
            results["read_platform_token"]["per_second"] / results["read_hs256_token"]["per_second"])
    if "register_one_workshop" in results:
        ratios["register_one_workshop / register_many_workshops"] = (
            results["register_one_workshop"]["per_second"] / results["register_many_workshops"]["per_second"])
    for name, ratio in ratios.items():
        print(f"{name:56} {ratio:7.2f}")
    return ratios


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("only", nargs="?", choices=["reads", "knowledge", "search", "webhooks", "inbox", "outbox",
                                                    "scale", "web", "identity", "practice"],
                        help="run only the read comparison, the knowledge, search, webhook, inbox, outbox, scale, "
                             "web, identity or practice (experts and pathways) benchmarks")
    parser.add_argument("--search-sizes", default=",".join(map(str, search.SIZES)),
                        help="numbers of artifacts the search engines are compared on")
    parser.add_argument("--scale-stores", default=",".join(scale.STORES),
                        help="stores of the growth run (embedded, wire)")
    parser.add_argument("--scale-factors", default=",".join(map(str, scale.FACTORS)),
                        help="data sizes of the growth run, as multiples of the 1x data")
    parser.add_argument("--no-curves", action="store_true", help="leave the concurrency curves out")
    parser.add_argument("--no-catch-up", action="store_true",
                        help="leave the catch-up figures out of the growth run (at 30x and more on the embedded "
                             "store they take longer than the requests)")
    args = parser.parse_args(argv)
    amqp_uri = config.load()["AMQP_URI"]
    # A vhost of its own where one can be made: no other running service may take its calls.
    vhost = own_vhost(amqp_uri, prefix="commonplace-bench") if can_make_vhosts(amqp_uri) else nullcontext(amqp_uri)
    with vhost as amqp_uri, tempfile.TemporaryDirectory() as directory:
        root = pathlib.Path(directory)
        results = {}
        if args.only in (None, "outbox"):
            results.update(outbox.run(amqp_uri))
        if args.only in (None, "scale"):
            results.update(scale.run(amqp_uri, args.scale_stores.split(","),
                                     [int(f) for f in args.scale_factors.split(",")], not args.no_curves,
                                     not args.no_catch_up))
        if args.only in (None, "search"):
            results.update(search.run(amqp_uri, root, [int(n) for n in args.search_sizes.split(",")]))
        floor = Floor(amqp_uri, root) if args.only in (None, "reads") else None
        platform = start_platform(amqp_uri, root) if args.only not in ("outbox", "scale", "search") else None
        try:
            if args.only in (None, "reads"):
                owner, community = seed(platform)
                results.update(run_reads(platform, floor, owner, community))
            if args.only is None:
                results.update(run_writes(platform, owner, community))
            admin = platform.token("root", roles=["platform_admin"]) if platform else None
            if args.only in (None, "knowledge"):
                results.update(knowledge.run(platform, admin))
            if args.only in (None, "webhooks"):
                results.update(webhooks.run(platform, admin))
            if args.only in (None, "inbox"):
                results.update(inbox.run(platform, admin))
            if args.only in (None, "web"):
                results.update(web.run(platform, admin))
            if args.only in (None, "identity"):
                results.update(identity.run(platform, admin, root))
            if args.only in (None, "practice"):
                results.update(practice.run(platform, admin))
        finally:
            if platform:
                platform.close()
            if floor:
                floor.stop()
    ratios = report(results)
    out = pathlib.Path("var/bench.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "results": results, "ratios": ratios}, indent=2))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
