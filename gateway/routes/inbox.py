"""A person's notifications and how they choose to hear of things: the notifications service."""
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.routes import Routes
from services.notifications import schemas as ns


class InboxRoutes(Routes):
    notifications = ServiceRpc("notifications")

    @endpoint("GET", "/v1/notifications", query=ns.InboxQuerySchema, response=ns.InboxPageSchema, tag="inbox",
              summary="The caller's notifications, newest first, with how many are unread")
    def list_notifications(self, request, query):
        return self.notifications.list_notifications(query=query)

    @endpoint("POST", "/v1/notifications/<notification_id>/read", response=ns.NotificationSchema, tag="inbox",
              summary="Mark a notification read")
    def read_notification(self, request, notification_id):
        return self.notifications.read_notification(notification_id=notification_id)

    @endpoint("POST", "/v1/notifications/read-all", response=ns.MarkedReadSchema, tag="inbox",
              summary="Mark every notification of the caller read")
    def read_all_notifications(self, request):
        return self.notifications.read_all_notifications()

    @endpoint("GET", "/v1/me/notification-preferences", response=ns.PreferencesSchema, tag="inbox",
              summary="What the caller hears of, per category: in the inbox, and by email at once, "
                      "in the daily digest, or not")
    def get_notification_preferences(self, request):
        return self.notifications.get_notification_preferences()

    @endpoint("PUT", "/v1/me/notification-preferences", body=ns.PreferencesUpdateSchema,
              response=ns.PreferencesSchema, tag="inbox",
              summary="Choose per category and channel; a category or channel left out takes its default")
    def set_notification_preferences(self, request, body):
        return self.notifications.set_notification_preferences(fields=body)
