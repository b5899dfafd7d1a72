"""Integrations' entrypoints, as a mixin of the notifications service (``ServesIntegrations``):
API keys (and verifying one, for the gateway), the event feed and its retention, webhook
endpoints and their deliveries. What the feed and the endpoints receive comes from the
service's ``_receive``; the webhook sender (``sending``) sends it.
"""
import datetime

from nameko.timer import timer

from commonplace import catalogue
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.errors import Invalid
from commonplace.pagination import PageQuerySchema, page
from commonplace.rpc import rpc
from services.notifications import schemas as s
from services.notifications.integrations import domain
from commonplace.targets import Refused, allowed_targets, check_target

RETENTION_CHECK_SECONDS = 3600


class ServesIntegrations:
    """The integration routes' entrypoints; the service has ``store`` (``IntegrationsRepository``),
    ``actor``, ``api_key`` and ``config``."""

    def _caller(self, scope):
        """The organisation's admin, or an API key of the organisation with ``scope`` (the
        gateway had ``authenticate_api_key`` verify it first)."""
        key = self.api_key()
        if key is None:
            actor = self.actor()
            domain.require_org_admin(actor)
            return actor
        return domain.key_caller(key, scope)

    # API keys

    @rpc
    def authenticate_api_key(self, key_hash):
        """What the API key of ``key_hash`` stands for (``{id, organisation, scopes}``), asked by
        the gateway before anything else is done with a request; 401 for a key that was never
        issued or is revoked."""
        key = domain.require_valid_key(self.store.key_by_hash(key_hash))
        self.store.key_used(key, now())
        return dump(s.VerifiedApiKeySchema, key)

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

    @timer(interval=RETENTION_CHECK_SECONDS)
    def forget_old_events(self):
        """The feed keeps EVENT_FEED_RETENTION_DAYS of events (one replica a turn does it)."""
        if not self.store.turns.take("feed retention", RETENTION_CHECK_SECONDS):
            return
        self.store.forget_before(now() - datetime.timedelta(days=self.config["EVENT_FEED_RETENTION_DAYS"]))

    # webhooks

    def _reachable(self, url):
        try:
            check_target(url, allowed_targets(self.config["WEBHOOK_ALLOWED_HOSTS"]))
        except Refused as refused:
            raise Invalid(f"webhooks may not point there: {refused}", {"url": [str(refused)]}) from None

    def _webhook(self, webhook_id):
        caller = self._caller("webhooks:manage")
        return caller, domain.require_webhook(self.store.webhook(webhook_id), caller)

    @rpc
    def register_webhook(self, fields):
        caller = self._caller("webhooks:manage")
        data = load(s.WebhookCreateSchema, fields)
        self._reachable(data["url"])
        webhook, secret, events = domain.register_webhook(caller, data, now())
        self.store.add_webhook(webhook, events)
        return dump(s.WebhookSecretSchema, {**webhook, "secret": secret})

    @rpc
    def list_webhooks(self, query):
        caller = self._caller("webhooks:manage")
        params = load(PageQuerySchema, query)
        webhooks, next_cursor = self.store.list_webhooks(caller.organisation, limit=params["limit"],
                                                         cursor=params["cursor"])
        return page(dump(s.WebhookSchema, webhooks, many=True), next_cursor)

    @rpc
    def get_webhook(self, webhook_id):
        return dump(s.WebhookSchema, self._webhook(webhook_id)[1])

    @rpc
    def update_webhook(self, webhook_id, fields):
        caller, webhook = self._webhook(webhook_id)
        data = load(s.WebhookUpdateSchema, fields)
        if "url" in data:
            self._reachable(data["url"])
        changes, events, held = domain.update_webhook(webhook, caller, data, now())
        updated = self.store.change_webhook(webhook, changes, events)
        if held:
            self.store.requeue_held(webhook_id, held)
        return dump(s.WebhookSchema, updated)

    @rpc
    def delete_webhook(self, webhook_id):
        caller, webhook = self._webhook(webhook_id)
        changes, events = domain.delete_webhook(webhook, caller, now())
        return dump(s.WebhookSchema, self.store.change_webhook(webhook, changes, events))

    @rpc
    def rotate_webhook_secret(self, webhook_id):
        caller, webhook = self._webhook(webhook_id)
        changes, secret, events = domain.rotate_secret(webhook, caller, now(), self.config["WEBHOOK_ROTATION_OVERLAP"])
        return dump(s.WebhookSecretSchema, {**self.store.change_webhook(webhook, changes, events), "secret": secret})

    @rpc
    def test_webhook(self, webhook_id):
        """Queue a ping for the endpoint alone, sent like any delivery."""
        caller, webhook = self._webhook(webhook_id)
        delivery = domain.delivery_of(webhook, domain.ping(webhook, caller), now())
        self.store.add_delivery(delivery)
        return dump(s.DeliverySchema, delivery)

    @rpc
    def list_deliveries(self, webhook_id, query):
        self._webhook(webhook_id)
        params = load(s.DeliveryQuerySchema, query)
        deliveries, next_cursor = self.store.list_deliveries(webhook_id, params.get("status"), limit=params["limit"],
                                                             cursor=params["cursor"])
        return page(dump(s.DeliverySchema, deliveries, many=True), next_cursor)

    @rpc
    def redeliver(self, webhook_id, delivery_id):
        self._webhook(webhook_id)
        delivery = domain.require_delivery(self.store.delivery(delivery_id), webhook_id)
        self.store.requeue(delivery_id, domain.requeue(now()))
        return dump(s.DeliverySchema, self.store.delivery(delivery["_id"]))

    @rpc
    def recover(self, webhook_id, fields):
        """Send again every delivery to the endpoint that failed in the window."""
        self._webhook(webhook_id)
        window = load(s.RecoverSchema, fields)
        domain.require_window(window["since"], window["until"])
        count = self.store.requeue_failed(webhook_id, window["since"], window["until"], domain.requeue(now()))
        return dump(s.RecoveredSchema, {"requeued": count})
