"""People's inboxes and email, as a mixin of the notifications service (``KeepsInboxes``): who
is told of an event (``inbox.RULES``, from the service's copies of membership, people and
workshops), their notifications and preferences, and the daily digest.
"""
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.errors import ServiceOutage
from commonplace.pagination import page
from commonplace.projection import FollowsMembership
from commonplace.rpc import rpc
from commonplace.storage import Storage
from commonplace.timers import every
from services.notifications.inboxes import domain as inbox, mail
from services.notifications import schemas as s
from services.notifications.inboxes.directory import Directory
from services.notifications.inboxes.store import InboxRepository


class KeepsInboxes(FollowsMembership):
    """Tells people what concerns them: ``tell(event)`` for every event the service hears."""

    inbox = Storage(InboxRepository)
    directory = Storage(Directory)
    mailer = mail.Mail()

    def tell(self, event):
        """Learn what the event says of people and workshops, and tell whom its rule says."""
        self.directory.learn(event)
        rule = inbox.rule_for(event)
        if rule is not None:
            self._notify(event, rule)

    def _notify(self, event, rule):
        candidates = rule.concerns.candidates(event, self)
        community = self.communities.get(event.get("community")) if event.get("community") else None
        members = self.communities.members_among(community["_id"], candidates) if community else set()
        people = self._profiles([*candidates, inbox.acted_by(rule, event), event["data"].get("user_id")])
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

    def _profiles(self, user_ids):
        """The profiles of ``user_ids``: the service's copy, and membership for those whose
        profile event has not been handled yet (it travels on another queue, and may lose the
        race to the event that names them)."""
        people = self.directory.profiles(user_ids)
        missing = sorted({u for u in user_ids if u} - set(people))
        if missing:
            try:
                fetched = self.membership.profiles_of(user_ids=missing)
            except ServiceOutage:
                return people  # told without those names or emails, as when nobody has any
            at = now()
            for profile in fetched:
                self.directory.learn_profile(profile, at)
            people = self.directory.profiles(user_ids)
        return people

    def catching_up(self, started):
        """Profiles come along with membership's catch-up (their events alone miss those made
        before this service first ran)."""
        for profile in self._export("export_profiles"):
            self.directory.learn_profile(profile, started)




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
