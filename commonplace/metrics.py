"""Prometheus metrics for every entrypoint, observed by one dependency provider."""
import logging
import time

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Histogram

log = logging.getLogger("commonplace.entrypoints")

ENTRYPOINT_CALLS = Counter(
    "commonplace_entrypoint_calls_total",
    "Entrypoint invocations, by outcome (ok, error).",
    ["service", "entrypoint", "kind", "outcome"],
)
ENTRYPOINT_SECONDS = Histogram(
    "commonplace_entrypoint_seconds",
    "Time an entrypoint's worker took.",
    ["service", "entrypoint", "kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_HANDLED = Counter(
    "commonplace_domain_events_total",
    "Domain events a consumer received, by what became of them "
    "(handled, duplicate, retried, dead_lettered).",
    ["service", "handler", "outcome"],
)


def entrypoint_kind(entrypoint):
    """rpc, event, http or timer: what sort of entrypoint started a worker."""
    name = type(entrypoint).__name__.lower()
    for marker, kind in (("rpc", "rpc"), ("event", "event"), ("timer", "timer"),
                         ("http", "http"), ("endpoint", "http")):
        if marker in name:
            return kind
    return name


class Metrics(DependencyProvider):
    """Counts and times every worker of the service it is declared on."""

    def setup(self):
        self._started = {}

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        entrypoint = worker_ctx.entrypoint
        labels = (worker_ctx.service_name, entrypoint.method_name, entrypoint_kind(entrypoint))
        ENTRYPOINT_SECONDS.labels(*labels).observe(time.perf_counter() - started)
        outcome = "error" if exc_info else "ok"
        ENTRYPOINT_CALLS.labels(*labels, outcome).inc()
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s.%s %s", labels[0], labels[1], outcome,
                extra={"request_id": worker_ctx.data.get("request_id"), "entrypoint": labels[1],
                       "outcome": outcome,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 2)},
            )

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)

HTTP_REQUESTS = Counter(
    "commonplace_http_requests_total", "HTTP requests the gateway answered.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "commonplace_http_request_seconds", "Time the gateway took to answer.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter(
    "commonplace_rate_limited_total", "Requests the gateway refused (429) for a budget spent, by budget.",
    ["budget"],
)
WEB_REQUESTS = Counter(
    "commonplace_web_requests_total", "Pages and form posts the web app answered.",
    ["method", "route", "status"],
)
WEB_SECONDS = Histogram(
    "commonplace_web_request_seconds", "Time the web app took to answer (the API calls it made included).",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
