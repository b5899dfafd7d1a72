"""JSON log lines, one object a line, for every process.

What is logged where: the gateway writes one access line per HTTP request (INFO; ERROR for a
5xx, with the stack of an unexpected exception); a worker's own line (entrypoint, outcome,
duration) is DEBUG; real failures are ERROR with their stack.

nameko logs every worker that raises, with its stack. Two kinds of those records are dropped
as saying nothing new: an error with an HTTP status of its own (a ``DomainError`` the caller
caused, or an outage answered 503/504), which is no failure of the process that met it; and
any error of a worker whose entrypoint reports its own outcome (the gateway's, whose access
line carries the stack).
"""
import json
import logging
import sys

from commonplace.clock import isoformat, now
from commonplace.errors import PlatformError

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON; ``extra=`` fields (request_id, status…) become keys."""

    def format(self, record):
        entry = {
            "time": isoformat(now()), "level": record.levelname, "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ReportedErrors(logging.Filter):
    """Drops nameko's record of a worker's error that is reported elsewhere (see above)."""

    def filter(self, record):
        if not record.exc_info:
            return True
        if isinstance(record.exc_info[1], PlatformError):
            return False
        worker_ctx = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return not getattr(getattr(worker_ctx, "entrypoint", None), "reports_outcome", False)


def configure(level="INFO", stream=None):
    """Send every logger's records to ``stream`` (stderr) as JSON lines at ``level``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # nameko and kombu are chatty at INFO about every connection.
    for noisy in ("kombu", "amqp", "nameko"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    containers = logging.getLogger("nameko.containers")
    containers.filters[:] = [f for f in containers.filters if not isinstance(f, ReportedErrors)]
    containers.addFilter(ReportedErrors())
