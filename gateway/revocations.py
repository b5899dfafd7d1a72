"""People whose tokens the gateway refuses: those their organisation's directory deprovisioned.

A token of such a person issued before they were deprovisioned (``iat`` before ``at``) is refused,
whatever signed it: a session's access token, a calendar token, a development token, an
organisation's own access token. Tokens issued after (they were reactivated and signed in again)
are not (``iat`` is in whole seconds: one issued in the second of the deprovisioning is refused
too). The list is the identity service's; each gateway keeps a copy, loaded as it starts
and every ``REFETCH_EVERY`` after, in a thread of its own (no request waits for it), and kept
current by the identity service's ``person.deprovisioned`` events on a broadcast queue of its own
(each gateway process hears each one, within a second or so of the change).

Should the identity service not answer when the copy is first loaded, tokens are accepted
meanwhile and the load is tried again after ``RETRY_EVERY``: refusing every request for want of
the list would make the identity service every request's dependency.
"""
import datetime
import logging
import time


log = logging.getLogger("commonplace.gateway.revocations")

REFETCH_EVERY = 60.0
RETRY_EVERY = 1.0


def _timestamp(at):
    moment = datetime.datetime.fromisoformat(at) if isinstance(at, str) else at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


class Revocations:
    """``fetch()`` returns the identity service's list ([{user_id, at}]); ``clock`` is for tests."""

    def __init__(self, fetch, sleep=time.sleep):
        self._fetch, self._sleep = fetch, sleep
        self._before = {}  # user id -> timestamp before which their tokens are refused

    def revoke(self, user_id, at):
        self._before[user_id] = max(self._before.get(user_id, 0.0), _timestamp(at))

    def revoked(self, user_id, issued_at):
        """Whether a token of ``user_id`` issued at ``issued_at`` (a timestamp) is refused."""
        before = self._before.get(user_id)
        return before is not None and issued_at <= before

    def load(self):
        """Fetch the list once; the seconds until the next fetch."""
        try:
            listed = self._fetch()
        except Exception as failure:  # noqa: BLE001 - whatever it was, the copy stands and is tried again
            log.warning("deprovisioned people not fetched (%s): trying again in %g s", type(failure).__name__,
                        RETRY_EVERY)
            return RETRY_EVERY
        for entry in listed:
            self.revoke(entry["user_id"], entry["at"])
        return REFETCH_EVERY

    def keep_loading(self):
        """Fetch the list now and again, for ever (a thread of its own)."""
        while True:
            self._sleep(self.load())
