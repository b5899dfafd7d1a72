"""HTTP load: closed loop at a fixed concurrency, or paced at a fixed rate, from plain threads;
and closed loop from wrk, a load generator in C that leaves the two cores to the servers."""
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
# Seconds wrk waits for an answer: past the gateway's RPC_TIMEOUT, so every request is timed.
TIMEOUT = 30


def summarise(latencies, elapsed, errors=0):
    ordered = sorted(latencies)
    return {
        "requests": len(ordered), "errors": errors, "per_second": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def combine(runs):
    """Several runs of one benchmark: medians of the runs' rates and latency percentiles."""
    return {
        "requests": sum(run["requests"] for run in runs), "errors": sum(run["errors"] for run in runs),
        **{key: statistics.median(run[key] for run in runs) for key in ("per_second", "p50_ms", "p99_ms")},
        "rounds": [round(run["per_second"], 1) for run in runs],
    }


def wrk_available():
    """Whether wrk can be used, installing Debian's package when root and it is missing."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True)
    return bool(shutil.which("wrk"))


def wrk(url, seconds, concurrency, headers=()):
    """A closed loop of ``concurrency`` connections for ``seconds`` from wrk (two threads).

    wrk leaves a request it gave up on out of its latencies; with a timeout of ``TIMEOUT`` (its
    own is 2 s) the slow ones are timed, and any given up on are counted as errors."""
    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", f"--timeout={TIMEOUT}s", "--latency", url]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout

    def latency(percentile):
        found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if found is None:
            raise RuntimeError(f"wrk said what this cannot read:\n{output}")
        value, unit = found.groups()
        return float(value) * UNITS[unit]

    requests_done = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    given_up = re.search(r"Socket errors: .*timeout (\d+)", output)
    return {"requests": requests_done,
            "errors": (int(errors.group(1)) if errors else 0) + (int(given_up.group(1)) if given_up else 0),
            "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50_ms": latency(50), "p99_ms": latency(99)}


def closed_loop(make_request, total, concurrency):
    """``total`` requests from ``concurrency`` workers, each sending its next as one returns."""
    latencies, errors, lock = [], [0], threading.Lock()
    counter = iter(range(total))

    def worker():
        session = requests.Session()
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            started = time.perf_counter()
            response = make_request(session, index)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors[0] += response.status_code >= 400

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    return summarise(latencies, time.perf_counter() - started, errors[0])


def paced(make_request, rate, seconds, concurrency=20):
    """Requests started at ``rate`` per second for ``seconds``; latency from the scheduled start."""
    total = int(rate * seconds)
    latencies, errors, lock = [], [0], threading.Lock()
    sessions = threading.local()
    begin = time.perf_counter() + 0.2

    def send(index):
        scheduled = begin + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        session = getattr(sessions, "session", None) or requests.Session()
        sessions.session = session
        response = make_request(session, index)
        with lock:
            latencies.append(time.perf_counter() - scheduled)
            errors[0] += response.status_code >= 400

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, range(total)))
    return summarise(latencies, time.perf_counter() - begin, errors[0])
