"""Integrations: the event feed, API keys, the AsyncAPI document (the notifications service)."""
from commonplace.pagination import PageQuerySchema
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.openapi import page_of
from gateway.routes import Routes
from services.notifications import schemas as ns


class IntegrationRoutes(Routes):
    notifications = ServiceRpc("notifications")

    @endpoint("GET", "/v1/events", query=ns.FeedQuerySchema, response=ns.FeedPageSchema, tag="integrations",
              api_keys=True, summary="The organisation's domain events in the order they were received, "
                                     "from any cursor kept (an org admin's token, or an API key with events:read)")
    def read_feed(self, request, query):
        return self.notifications.read_feed(query=query)

    @endpoint("POST", "/v1/api-keys", status=201, body=ns.ApiKeyCreateSchema, response=ns.ApiKeyIssuedSchema,
              tag="integrations", summary="Issue an API key for an integration (org admins; the key is shown once)")
    def issue_api_key(self, request, body):
        return self.notifications.issue_api_key(fields=body)

    @endpoint("GET", "/v1/api-keys", query=PageQuerySchema, response=page_of(ns.ApiKeySchema),
              tag="integrations", summary="The organisation's API keys, without the keys (org admins)")
    def list_api_keys(self, request, query):
        return self.notifications.list_api_keys(query=query)

    @endpoint("DELETE", "/v1/api-keys/<key_id>", response=ns.ApiKeySchema, tag="integrations",
              summary="Revoke an API key: refused from the next request on (org admins)")
    def revoke_api_key(self, request, key_id):
        return self.notifications.revoke_api_key(key_id=key_id)

    @endpoint("GET", "/asyncapi.json", public=True, tag="integrations", response={"type": "object"},
              summary="Every domain event as AsyncAPI 3: exchange, routing key and payload schema")
    def asyncapi(self, request):
        return self.notifications.asyncapi()

    # webhooks: an org admin's token, or an API key with webhooks:manage

    @endpoint("POST", "/v1/webhooks", status=201, body=ns.WebhookCreateSchema, response=ns.WebhookSecretSchema,
              tag="integrations", api_keys=True,
              summary="Register a webhook endpoint: each event it asks for is POSTed to it, signed (the secret "
                      "is shown once); private and loopback addresses are refused")
    def register_webhook(self, request, body):
        return self.notifications.register_webhook(fields=body)

    @endpoint("GET", "/v1/webhooks", query=PageQuerySchema, response=page_of(ns.WebhookSchema),
              tag="integrations", api_keys=True, summary="The organisation's webhook endpoints")
    def list_webhooks(self, request, query):
        return self.notifications.list_webhooks(query=query)

    @endpoint("GET", "/v1/webhooks/<webhook_id>", response=ns.WebhookSchema, tag="integrations", api_keys=True,
              summary="A webhook endpoint, enabled or why not")
    def get_webhook(self, request, webhook_id):
        return self.notifications.get_webhook(webhook_id=webhook_id)

    @endpoint("PATCH", "/v1/webhooks/<webhook_id>", body=ns.WebhookUpdateSchema, response=ns.WebhookSchema,
              tag="integrations", api_keys=True,
              summary="Change an endpoint; enabled: true re-enables a disabled one and sends what waited")
    def update_webhook(self, request, webhook_id, body):
        return self.notifications.update_webhook(webhook_id=webhook_id, fields=body)

    @endpoint("DELETE", "/v1/webhooks/<webhook_id>", response=ns.WebhookSchema, tag="integrations", api_keys=True,
              summary="Delete an endpoint: nothing more is sent to it")
    def delete_webhook(self, request, webhook_id):
        return self.notifications.delete_webhook(webhook_id=webhook_id)

    @endpoint("POST", "/v1/webhooks/<webhook_id>/rotate-secret", response=ns.WebhookSecretSchema,
              tag="integrations", api_keys=True,
              summary="A new signing secret (shown once); the old one signs too for WEBHOOK_ROTATION_OVERLAP")
    def rotate_webhook_secret(self, request, webhook_id):
        return self.notifications.rotate_webhook_secret(webhook_id=webhook_id)

    @endpoint("POST", "/v1/webhooks/<webhook_id>/test", status=202, response=ns.DeliverySchema,
              tag="integrations", api_keys=True, summary="Send the endpoint a ping (webhook.ping), like any delivery")
    def test_webhook(self, request, webhook_id):
        return self.notifications.test_webhook(webhook_id=webhook_id)

    @endpoint("GET", "/v1/webhooks/<webhook_id>/deliveries", query=ns.DeliveryQuerySchema,
              response=page_of(ns.DeliverySchema), tag="integrations", api_keys=True,
              summary="The endpoint's deliveries, newest first, with every attempt")
    def list_deliveries(self, request, webhook_id, query):
        return self.notifications.list_deliveries(webhook_id=webhook_id, query=query)

    @endpoint("POST", "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver", status=202,
              response=ns.DeliverySchema, tag="integrations", api_keys=True, summary="Send a delivery again")
    def redeliver(self, request, webhook_id, delivery_id):
        return self.notifications.redeliver(webhook_id=webhook_id, delivery_id=delivery_id)

    @endpoint("POST", "/v1/webhooks/<webhook_id>/recover", body=ns.RecoverSchema, status=202,
              response=ns.RecoveredSchema, tag="integrations", api_keys=True,
              summary="Send again every delivery that failed between since and until (or now)")
    def recover(self, request, webhook_id, body):
        return self.notifications.recover(webhook_id=webhook_id, fields=body)
