"""The notifications service: what the platform tells people and integrations of what happens.

It hears every domain event of every service (a handler per service, bound to all of its
types, so a new event type needs nothing here), keeps the event feed integrations read behind
the API keys organisations issue to them, and queues a delivery of each event for every
webhook endpoint that asked for it (``sending`` sends them). Events that concern people
(``inbox.RULES``) go to their inboxes and, as each chose, by email at once or in a digest
(``mail`` sends them); whom to tell it decides from its own copies of membership
(``FollowsMembership``) and of people and workshops (``directory``).
"""
import datetime

from nameko.dependency_providers import Config
from nameko.timer import timer

# It hears every service's events: their catalogues register as they are imported.
import services.events.domain_events  # noqa: F401
import services.knowledge.domain_events  # noqa: F401
import services.membership.domain_events  # noqa: F401

from commonplace import catalogue
from commonplace.actor import CurrentActor, PresentedApiKey
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.errors import Invalid
from commonplace.handlers import domain_event_handler
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import PageQuerySchema, page
from commonplace.permissions import MANAGERS
from commonplace.projection import FollowsMembership
from commonplace.rpc import rpc
from commonplace.storage import Storage
from commonplace.timers import every
from services.notifications import domain, inbox, mail
from services.notifications import schemas as s
from services.notifications.directory import Directory
from services.notifications.inbox_store import InboxRepository
from services.notifications.sending import WebhookSender
from services.notifications.store import NotificationsRepository
from services.notifications.targets import Refused, allowed_targets, check_target

EVERY_EVENT = "commonplace.#"
RETENTION_CHECK_SECONDS = 3600


class NotificationsService(HealthCheck, FollowsMembership):
    name = "notifications"

    store = Storage(NotificationsRepository)
    inbox = Storage(InboxRepository)
    directory = Storage(Directory)
    mailer = mail.Mail()
    outbox = Outbox()
    actor = CurrentActor()
    api_key = PresentedApiKey()
    metrics = Metrics()
    config = Config()
    sender = WebhookSender()

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
        """Keep the event in the feed, queue it for every endpoint that wants it, and tell the
        people it concerns; a copy of one received already changes nothing (every write is
        once per event)."""
        if not self.store.has_event(domain.event_key(event)):
            # The time is taken before the number: readers see only what is FEED_SETTLE old.
            received_at = now()
            self.store.add_to_feed(domain.feed_entry(event, self.store.next_cursor(), received_at))
        self.store.add_deliveries([domain.delivery_of(webhook, event, now())
                                   for webhook in self.store.enabled_webhooks(event.get("organisation"))
                                   if domain.wants(webhook, event)])
        self.directory.learn(event)
        rule = inbox.rule_for(event)
        if rule is not None:
            self._notify(event, rule)

    def _concerned(self, rule, event):
        """Everyone the rule says the event concerns, before who may be told is decided."""
        data, community_id = event["data"], event.get("community")
        if rule.concerns == inbox.MANAGERS:
            return self.communities.members(community_id, MANAGERS)
        if rule.concerns == inbox.MEMBERS:
            return self.communities.members(community_id)
        if rule.concerns == inbox.REGISTRANTS:
            return self.directory.registered_for(data.get("workshop_id"))
        if rule.concerns == inbox.ORG_ADMINS:
            return self.directory.admins_of(event.get("organisation"))
        return [inbox.concerned(rule, event)]

    def _notify(self, event, rule):
        candidates = [c for c in self._concerned(rule, event) if c]
        community = self.communities.get(event.get("community")) if event.get("community") else None
        members = self.communities.members_among(community["_id"], candidates) if community else set()
        people = self.directory.profiles([*candidates, inbox.acted_by(rule, event), event["data"].get("user_id")])
        told = inbox.addressees(rule, event, candidates, community, people, members)
        if not told:
            return
        names = {user_id: person.get("name") for user_id, person in people.items()}
        line = inbox.title(rule, event, names, community, self.directory.workshop(event["data"].get("workshop_id")))
        kept, email_now = inbox.notices(event, rule, told, line, self.inbox.preferences_of(told), now())
        self.inbox.add_notifications(kept)
        if self.mailer.enabled:
            for notice in email_now:
                person = people.get(notice["user_id"])
                if person and person.get("email"):
                    self.inbox.add_email(mail.notice_email(notice, person, (community or {}).get("name"), now()))

    def catching_up(self, started):
        """Profiles come along with membership's catch-up (their events alone miss those made
        before this service first ran)."""
        for profile in self._export("export_profiles"):
            self.directory.learn_profile(profile, started)

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

    # the inbox

    @rpc
    def list_notifications(self, query):
        actor = self.actor()
        params = load(s.InboxQuerySchema, query)
        items, next_cursor = self.inbox.inbox(actor.user_id, params["unread"], limit=params["limit"],
                                              cursor=params["cursor"])
        return {**page(dump(s.NotificationSchema, items, many=True), next_cursor),
                "unread_count": self.inbox.unread_count(actor.user_id)}

    @rpc
    def read_notification(self, notification_id):
        actor = self.actor()
        notice = inbox.require_notification(self.inbox.notification(notification_id), actor)
        return dump(s.NotificationSchema, self.inbox.mark_read(notice["_id"], now()))

    @rpc
    def read_all_notifications(self):
        return dump(s.MarkedReadSchema, {"marked": self.inbox.mark_all_read(self.actor().user_id, now())})

    @rpc
    def get_notification_preferences(self):
        user_id = self.actor().user_id
        stored = self.inbox.preferences_of([user_id]).get(user_id)
        return dump(s.PreferencesSchema, inbox.described(inbox.preferences(stored)))

    @rpc
    def set_notification_preferences(self, fields):
        user_id = self.actor().user_id
        data = load(s.PreferencesUpdateSchema, fields)
        document = inbox.preferences_document(user_id, data["categories"], now())
        self.inbox.save_preferences(document)
        return dump(s.PreferencesSchema, inbox.described(inbox.preferences(document)))

    @every("EMAIL_DIGEST_PERIOD", fraction=0.25, at_most=60)
    def send_digests(self):
        """Once a period has ended, each person's notifications of it (and before) in one email."""
        if not self.mailer.enabled:
            return
        period_end, _ = inbox.digest_period(now(), self.mailer.digest_period)
        waiting = self.inbox.awaiting_digest(before=period_end)
        people = self.directory.profiles(waiting)
        names = {c["_id"]: c.get("name") for c in self.communities.by_id(
            {n["community_id"] for notices in waiting.values() for n in notices if n["community_id"]}).values()}
        for user_id, notices in waiting.items():
            person = people.get(user_id)
            if person and person.get("email"):
                self.inbox.add_email(mail.digest_email(person, notices, names, period_end, now()))
            self.inbox.digested([notice["_id"] for notice in notices])

    @timer(interval=RETENTION_CHECK_SECONDS)
    def forget_old_events(self):
        """The feed keeps EVENT_FEED_RETENTION_DAYS of events."""
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
        changes, events = domain.update_webhook(webhook, caller, data)
        updated = self.store.change_webhook(webhook, changes, events)
        if data.get("enabled"):
            self.store.requeue_held(webhook_id, domain.requeue(now()))
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
