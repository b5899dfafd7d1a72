"""The notifications service: what the platform tells people and integrations of what happens.

It hears every domain event of every service (a handler per service, bound to all of its
types, so a new event type needs nothing here) and keeps the event feed integrations read,
behind the API keys organisations issue to them.
"""
import datetime

from nameko.dependency_providers import Config
from nameko.timer import timer

# It hears every service's events: their catalogues register as they are imported.
import services.events.domain_events  # noqa: F401
import services.knowledge.domain_events  # noqa: F401
import services.membership.domain_events  # noqa: F401

from commonplace.actor import CurrentActor, PresentedApiKey
from commonplace import catalogue
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.handlers import domain_event_handler
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import PageQuerySchema, page
from commonplace.rpc import rpc
from commonplace.storage import Storage
from services.notifications import domain
from services.notifications import schemas as s
from services.notifications.store import NotificationsRepository

EVERY_EVENT = "commonplace.#"
RETENTION_CHECK_SECONDS = 3600


class NotificationsService(HealthCheck):
    name = "notifications"

    store = Storage(NotificationsRepository)
    outbox = Outbox()
    actor = CurrentActor()
    api_key = PresentedApiKey()
    metrics = Metrics()
    config = Config()

    def _caller(self, scope):
        """The organisation's admin, or an API key of the organisation with ``scope``."""
        hashed = self.api_key()
        if hashed is None:
            actor = self.actor()
            domain.require_org_admin(actor)
            return actor
        key = self.store.key_by_hash(hashed)
        actor = domain.key_caller(key, scope)
        self.store.key_used(key, now())
        return actor

    # API keys

    @rpc
    def issue_api_key(self, fields):
        data = load(s.ApiKeyCreateSchema, fields)
        key, secret, events = domain.issue_key(self.actor(), data, now())
        self.store.add_key(key, events)
        return dump(s.ApiKeyIssuedSchema, {**key, "key": secret})

    @rpc
    def list_api_keys(self, query):
        actor = self.actor()
        domain.require_org_admin(actor)
        params = load(PageQuerySchema, query)
        keys, next_cursor = self.store.list_keys(actor.organisation, limit=params["limit"], cursor=params["cursor"])
        return page(dump(s.ApiKeySchema, keys, many=True), next_cursor)

    @rpc
    def revoke_api_key(self, key_id):
        actor = self.actor()
        key = domain.require_key(self.store.key(key_id), actor)
        changes, events = domain.revoke_key(key, actor, now())
        return dump(s.ApiKeySchema, self.store.revoke_key(key, changes, events))

    @rpc
    def asyncapi(self):
        """Every domain event type of the platform, as AsyncAPI 3."""
        return catalogue.asyncapi()

    # the event feed

    @rpc
    def read_feed(self, query):
        caller = self._caller("events:read")
        params = load(s.FeedQuerySchema, query)
        entries = self.store.read_feed(domain.feed_query(caller, params, now()), params["limit"])
        next_cursor = entries[-1]["_id"] if entries else params["after"]
        return dump(s.FeedPageSchema, {"items": [domain.feed_item(e) for e in entries], "next_cursor": next_cursor})

    def _receive(self, event):
        if self.store.has_event(domain.event_key(event)):
            return  # a copy of one received already
        # The time is taken before the number: readers are shown only what is FEED_SETTLE old.
        received_at = now()
        self.store.add_to_feed(domain.feed_entry(event, self.store.next_cursor(), received_at))

    @domain_event_handler("membership", EVERY_EVENT)
    def on_membership_event(self, event):
        self._receive(event)

    @domain_event_handler("events", EVERY_EVENT)
    def on_events_event(self, event):
        self._receive(event)

    @domain_event_handler("knowledge", EVERY_EVENT)
    def on_knowledge_event(self, event):
        self._receive(event)

    @domain_event_handler("notifications", EVERY_EVENT)
    def on_own_event(self, event):
        self._receive(event)

    @timer(interval=RETENTION_CHECK_SECONDS)
    def forget_old_events(self):
        """The feed keeps EVENT_FEED_RETENTION_DAYS of events."""
        self.store.forget_before(now() - datetime.timedelta(days=self.config["EVENT_FEED_RETENTION_DAYS"]))
