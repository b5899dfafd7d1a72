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
