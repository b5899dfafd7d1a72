"""Bare nameko RPC throughput, one call at a time and pipelined, against bench.bare_service."""
import json
import subprocess
import sys

SCRIPT = r"""
import eventlet
eventlet.monkey_patch()
import json, statistics, sys, time
from nameko.standalone.rpc import ClusterRpcProxy

with ClusterRpcProxy({"AMQP_URI": sys.argv[1]}) as cluster:
    deadline = time.monotonic() + 30
    while True:
        try:
            cluster.bench_bare.ping(0)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    for _ in range(100):
        cluster.bench_bare.ping(0)
    latencies = []
    started = time.perf_counter()
    for i in range(1000):
        t = time.perf_counter()
        cluster.bench_bare.ping(i)
        latencies.append(time.perf_counter() - t)
    sequential = time.perf_counter() - started
    started = time.perf_counter()
    total, window = 3000, 50
    for batch in range(0, total, window):
        replies = [cluster.bench_bare.ping.call_async(i) for i in range(batch, batch + window)]
        for reply in replies:
            reply.result()
    pipelined = time.perf_counter() - started
    latencies.sort()
    print(json.dumps({
        "bare_rpc_sequential": {"per_second": 1000 / sequential,
                                "p50_ms": statistics.median(latencies) * 1000,
                                "p99_ms": latencies[989] * 1000},
        "bare_rpc_pipelined": {"per_second": total / pipelined},
    }))
"""


def measure(amqp_uri):
    """Figures for the bare RPC floor, from a client process of its own."""
    output = subprocess.run([sys.executable, "-c", SCRIPT, amqp_uri], check=True,
                            capture_output=True, text=True, timeout=300).stdout
    return json.loads(output.strip().splitlines()[-1])
