"""The people the gateway sees, told to the membership service.

Membership keeps a profile of each person (name, email address, roles) as their token gives
them, and other services (notifications) address people from it. Every request carries the
token, so the gateway is where a person is seen whenever they act, in whichever service: when
a process first sees a person, or sees their claims change, it tells membership before the
request goes on (once per person and process: the profile, and its event, come before what
the person does, so whoever is told of that act knows their name). A person it could not
tell about (membership down) is tried again at their next request; the request itself goes on.
"""
import logging
from collections import OrderedDict

from nameko.containers import WorkerContext

from commonplace import idempotency
from commonplace.actor import CONTEXT_KEY, Actor
from commonplace.rpc import ServiceRpc

log = logging.getLogger(__name__)

REMEMBERED = 10_000  # people whose claims a process remembers; the least recently seen go first


class PeopleSeen(ServiceRpc):
    """RPC to membership that, besides, tells it of each new person, or new claims, a worker
    comes with."""

    def __init__(self, **options):
        super().__init__("membership", **options)

    def setup(self):
        super().setup()
        self.known = OrderedDict()  # user_id -> the claims membership was last told
        self.failing = False

    def worker_setup(self, worker_ctx):
        data = worker_ctx.data.get(CONTEXT_KEY)
        if not data:
            return  # a public route, or an API key: nobody in person
        actor = Actor.from_context(data)
        if actor.scope:
            return  # a scoped token (a calendar app's) carries no profile: nothing to tell
        claims = (actor.name, actor.email, tuple(sorted(actor.roles)))
        if self.known.get(actor.user_id) == claims:
            self.known.move_to_end(actor.user_id)
            return
        self.known[actor.user_id] = claims
        if len(self.known) > REMEMBERED:
            self.known.popitem(last=False)
        # A call of its own: the request's Idempotency-Key is for the request's own call.
        call = WorkerContext(worker_ctx.container, worker_ctx.service, worker_ctx.entrypoint,
                             data={k: v for k, v in worker_ctx.data.items() if k != idempotency.CONTEXT_KEY})
        try:
            self.get_dependency(call).see_person()
        except Exception as error:
            self.known.pop(actor.user_id, None)
            if not self.failing:  # once per run of failures, not once per person
                log.warning("could not tell membership of a person seen (retried at their next request): %s", error)
            self.failing = True
        else:
            self.failing = False
