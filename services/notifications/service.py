"""The notifications service: what the platform tells people and integrations of what happens.

It hears every domain event of every registered service (a handler per service, made for each
in the registry and bound to all of its types, so a new service or event type needs nothing
here). Two contexts share what it hears: integrations (``integrations/``: the event feed behind
the API keys organisations issue, and a delivery of each event for every webhook endpoint that
asked for it, which the webhook sender sends) and people (``inboxes/``: who is told of what,
their inboxes and, as each chose, email at once or in a digest).
"""
from nameko.dependency_providers import Config

from commonplace import registry
from commonplace.actor import CurrentActor, PresentedApiKey
from commonplace.clock import now
from commonplace.handlers import domain_event_handler
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.storage import Storage
from services.notifications.inboxes.entrypoints import KeepsInboxes
from services.notifications.integrations import domain
from services.notifications.integrations.entrypoints import ServesIntegrations
from services.notifications.integrations.sending import WebhookSender
from services.notifications.integrations.store import IntegrationsRepository

EVERY_EVENT = "commonplace.#"
registry.load_catalogues()  # every service's event types, for the AsyncAPI document


def hears_every_service(service_cls):
    """Give the service an ``on_<source>_event`` handler of every domain event of each registered
    service that publishes any, each handing the event to ``_receive``."""
    for process in registry.services():
        if process.events:
            def hear(self, event):
                self._receive(event)

            hear.__name__ = hear.__qualname__ = f"on_{process.name}_event"
            hear.__doc__ = f"Every domain event of the {process.name} service."
            setattr(service_cls, hear.__name__, domain_event_handler(process.name, EVERY_EVENT)(hear))
    return service_cls


@hears_every_service
class NotificationsService(HealthCheck, ServesIntegrations, KeepsInboxes):
    name = "notifications"

    store = Storage(IntegrationsRepository)
    outbox = Outbox()
    actor = CurrentActor()
    api_key = PresentedApiKey()
    metrics = Metrics()
    config = Config()
    sender = WebhookSender()

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
        self.tell(event)
