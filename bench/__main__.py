"""Run every benchmark once and print medians and ratios. Not a test: nothing is asserted."""
import json
import pathlib
import subprocess
import sys
import tempfile
import time

from commonplace import config
from tests.platform import Platform

from bench import rpc_floor
from bench.load import closed_loop, paced

CONCURRENCY = 10


def run_gateway(amqp_uri, root):
    platform = Platform(root, amqp_uri, LOG_LEVEL="WARNING")
    platform.start("membership")
    platform.start("events")
    platform.start("gateway")
    platform.wait_healthy()
    results = {}
    try:
        admin = platform.token("root", roles=["platform_admin"])
        platform.call("POST", "/v1/organisations", admin, {"name": "Bench", "slug": "bench"})
        owner = platform.token("owner", "bench")
        community = platform.call("POST", "/v1/communities", owner,
                                  {"name": "Bench", "domain": "bench"}).json()["id"]
        read_path = f"{platform.base}/v1/communities/{community}"
        read_headers = {"Authorization": f"Bearer {owner}"}

        def read(session, index):
            return session.get(read_path, headers=read_headers)

        closed_loop(read, 200, CONCURRENCY)  # warm up
        results["gateway_read"] = closed_loop(read, 3000, CONCURRENCY)
        results["gateway_read_paced_100"] = paced(read, 100, 10)

        joiners = [platform.token(f"joiner{i}", "bench") for i in range(3000)]

        def join(session, index):
            return session.post(f"{read_path}/join", headers={"Authorization": f"Bearer {joiners[index]}"})

        results["gateway_join"] = closed_loop(join, 1500, CONCURRENCY)
        paced_joiners = joiners[1500:]
        results["gateway_join_paced_100"] = paced(
            lambda session, i: session.post(
                f"{read_path}/join", headers={"Authorization": f"Bearer {paced_joiners[i]}"}),
            100, 10,
        )
        results.update(run_registrations(platform, owner, community, joiners))
    finally:
        platform.stop_all()
    return results


def run_registrations(platform, owner, community, members, workshops=30):
    """Registration under contention for one workshop, and spread across many."""
    import datetime

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


def main():
    amqp_uri = config.load()["AMQP_URI"]
    with tempfile.TemporaryDirectory() as root:
        results = {}
        bare = subprocess.Popen([sys.executable, "-m", "bench.bare_service", amqp_uri])
        try:
            results.update(rpc_floor.measure(amqp_uri))
        finally:
            bare.terminate()
            bare.wait()
        results.update(run_gateway(amqp_uri, pathlib.Path(root)))

    bare_pipelined = results["bare_rpc_pipelined"]["per_second"]
    print(f"\n{'benchmark':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    def cell(figures, key):
        return f"{figures[key]:8.2f}" if key in figures else f"{'-':>8}"

    for name, figures in results.items():
        print(f"{name:28} {figures['per_second']:9.1f} {cell(figures, 'p50_ms')} "
              f"{cell(figures, 'p99_ms')} {figures.get('errors', 0):6}")
    ratios = {
        "gateway_read / bare_rpc_pipelined": results["gateway_read"]["per_second"] / bare_pipelined,
        "gateway_join / bare_rpc_pipelined": results["gateway_join"]["per_second"] / bare_pipelined,
        "register_one_workshop / register_many_workshops":
            results["register_one_workshop"]["per_second"] / results["register_many_workshops"]["per_second"],
        "gateway_read / bare_rpc_sequential":
            results["gateway_read"]["per_second"] / results["bare_rpc_sequential"]["per_second"],
    }
    for name, ratio in ratios.items():
        print(f"{name:40} {ratio:6.2f}")
    out = pathlib.Path("var/bench.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "results": results, "ratios": ratios}, indent=2))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
