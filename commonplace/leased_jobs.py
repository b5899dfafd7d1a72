"""Sending stored jobs with due times, each claimed with a lease, from one green thread a process.

Webhook deliveries and emails are such jobs: documents with a due time, kept in the service's
store, so one due while the service (or the receiver) was down goes out when both are back. A
sender claims a due job by marking it ``sending`` with a lease, sends it in a pool of at most
``at_once`` green threads, and records the attempt with the job's next due time. A sender that
dies mid-send loses nothing: its lease runs out, the lease check puts the job back, and another
sender (or this one, restarted) claims it again. So a job is sent at least once; its receiver
deduplicates by an id that is the same on every attempt.

``LeasedJobSender`` is the loop; a subclass says what its jobs are: ``jobs(db)`` (their
repository), ``release_expired(jobs, at)``, ``claim_due(jobs, room, at)`` (claims and yields at
most ``room`` jobs) and ``send(jobs, job)``; ``sent(job)`` runs after each, however it ended.
"""
import logging
import time

import eventlet
from eventlet.greenpool import GreenPool
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from commonplace.clock import now
from commonplace.storage import StoreClient

log = logging.getLogger(__name__)


class LeasedJobSender(DependencyProvider):
    """The process's sender of one kind of stored job (see the module)."""

    store = StoreClient()
    kind = "job"  # what a job is, for the log
    at_once = 4
    poll_seconds = 0.5
    lease_check_seconds = 5.0

    def setup(self):
        self.pool = GreenPool(self.at_once)
        self.finished = LightQueue()  # a word from each send that ends: room to claim again
        self.running = False

    @property
    def enabled(self):
        return True

    def start(self):
        if self.enabled:
            self.running = True
            self.container.spawn_managed_thread(self._run, identifier=f"{self.kind}-sender")

    def stop(self):
        self.running = False
        self.pool.waitall()  # sends under way are recorded before the process ends

    def kill(self):
        self.running = False

    # what a subclass says of its jobs

    def jobs(self, db):
        raise NotImplementedError

    def release_expired(self, jobs, at):
        raise NotImplementedError

    def claim_due(self, jobs, room, at):
        raise NotImplementedError

    def send(self, jobs, job):
        raise NotImplementedError

    def sent(self, job):
        """After each send, however it ended."""

    # the loop

    def _run(self):
        jobs = self.jobs(self.store.database())
        leases_checked = 0.0
        while self.running:
            try:
                if time.monotonic() - leases_checked > self.lease_check_seconds:
                    self.release_expired(jobs, now())
                    leases_checked = time.monotonic()
                if not self._claim(jobs):
                    self._wait(self.poll_seconds)
            except Exception:
                log.exception("the %s sender could not read its queue; trying again", self.kind)
                eventlet.sleep(1)

    def _claim(self, jobs):
        """Claim as many due jobs as there is room for, and send each; how many were claimed."""
        claimed = 0
        room = self.pool.free()
        if room:
            for job in self.claim_due(jobs, room, now()):
                self.pool.spawn_n(self._send, jobs, job)
                claimed += 1
                if not self.running:
                    break
        return claimed

    def _send(self, jobs, job):
        try:
            self.send(jobs, job)
        except Exception:
            log.exception("%s %s could not be sent; its lease will put it back", self.kind, job.get("_id"))
        finally:
            self.sent(job)
            self.finished.put(None)

    def _wait(self, seconds):
        """Until a send ends or ``seconds`` pass, whichever is first."""
        try:
            self.finished.get(timeout=seconds)
        except Empty:
            return
        while self.finished.qsize():
            self.finished.get_nowait()
