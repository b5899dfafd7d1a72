"""HTTP load from plain threads: closed loop at a fixed concurrency, or paced at a fixed rate."""
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests


def summarise(latencies, elapsed, errors=0):
    ordered = sorted(latencies)
    return {
        "requests": len(ordered), "errors": errors, "per_second": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


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
