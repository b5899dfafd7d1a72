"""The events service: workshops, registrations, attendance, credits, calendars.

It decides who may do what from its own copy of membership (``FollowsMembership``), so
registration works while the membership service is down. Each entrypoint loads its input,
reads what the rule needs, asks ``domain`` for the change and its domain events, and hands
them to the store (``seating`` for the write sequences behind seats and the waitlist).
"""
from commonplace.actor import CurrentActor
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import page, paginate_list
from commonplace.permissions import is_manager, require_manager, require_visible
from commonplace.projection import FollowsMembership
from commonplace.recounts import KeepsCountsRight
from commonplace.rpc import rpc
from commonplace.storage import Storage
from services.events import domain, seating
from services.events import schemas as s
from services.events.calendar import render_calendar
from services.events.pathway_credits import KeepsPathwayCredits
from services.events.store import WorkshopRepository
from services.events.transcript import render_csv


class EventsService(HealthCheck, FollowsMembership, KeepsCountsRight, KeepsPathwayCredits):
    name = "events"

    store = Storage(WorkshopRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()

    def _at_workshop(self, workshop_id):
        """(actor, workshop, community, actor's membership) for a workshop the actor may see."""
        actor = self.actor()
        workshop = self.store.workshop(workshop_id)
        community = self.communities.get(workshop["community_id"]) if workshop else None
        membership = self.communities.membership(community["_id"], actor.user_id) if community else None
        require_visible(community, actor, membership, what="workshop")
        return actor, workshop, community, membership

    def _present(self, workshop, user_id=None, manages=False):
        registration = self.store.registration(workshop["_id"], user_id) if user_id else None
        position = seating.position_of(self.store, registration)
        return dump(s.WorkshopSchema, domain.present(workshop, registration, position, manages))

    # workshops

    @rpc
    def schedule_workshop(self, community_id, fields):
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        data = load(s.WorkshopCreateSchema, fields)
        workshop, events = domain.schedule(community, actor, membership, data, now())
        self.store.add_workshop(workshop, events)
        return self._present(self.store.workshop(workshop["_id"]), manages=True)

    @rpc
    def list_workshops(self, community_id, query):
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        manages = is_manager(community, actor, membership)
        params = load(s.WorkshopListQuerySchema, query)
        items, next_cursor = self.store.list_workshops(
            domain.workshop_query(community_id, params), limit=params["limit"], cursor=params["cursor"],
        )
        return page([self._present(w, manages=manages) for w in items], next_cursor)

    @rpc
    def get_workshop(self, workshop_id):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        return self._present(workshop, actor.user_id, is_manager(community, actor, membership))

    @rpc
    def update_workshop(self, workshop_id, fields):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        changes = domain.check_update(workshop, community, actor, membership,
                                      load(s.WorkshopUpdateSchema, fields), now())
        seating.change_capacity(self.store, workshop, changes.get("capacity", workshop["capacity"]))
        details, events = domain.update(workshop, changes)
        return self._present(self.store.update_workshop(workshop_id, details, events), actor.user_id, True)

    @rpc
    def cancel_workshop(self, workshop_id, fields):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        reason = load(s.CancelSchema, fields)["reason"]
        domain.check_cancel(workshop, community, actor, membership)
        changes, events = domain.cancel(workshop, reason, actor.user_id)
        return self._present(self.store.update_workshop(workshop_id, changes, events), actor.user_id, True)

    @rpc
    def calendar(self, community_id):
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        seated = None if is_manager(community, actor, membership) else {
            r["workshop_id"] for r in self.store.registrations_of_user(actor.user_id, ("confirmed",))}
        return render_calendar(community.get("name", community_id),
                               self.store.community_workshops(community_id), seated)

    @rpc
    def workshop_calendar(self, workshop_id):
        """One workshop as an RFC 5545 calendar, to add it to one's own."""
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        registration = self.store.registration(workshop_id, actor.user_id)
        seated = None if is_manager(community, actor, membership) else (
            {workshop_id} if registration and registration["status"] == "confirmed" else set())
        return render_calendar(community.get("name", community["_id"]), [workshop], seated)

    # registrations

    @rpc
    def register(self, workshop_id):
        actor, workshop, _, membership = self._at_workshop(workshop_id)
        domain.check_registration(workshop, membership, self.store.registration(workshop_id, actor.user_id), now())
        return dump(s.RegistrationSchema, seating.register(self.store, workshop, actor.user_id))

    @rpc
    def cancel_registration(self, workshop_id):
        actor, workshop, _, _ = self._at_workshop(workshop_id)
        registration = self.store.registration(workshop_id, actor.user_id)
        domain.check_cancellable(registration, workshop, now())
        if not seating.cancel(self.store, workshop, registration, "cancelled_by_member"):
            raise domain.not_registered()
        return dump(s.RegistrationSchema, self.store.registration(workshop_id, actor.user_id))

    @rpc
    def list_registrations(self, workshop_id, query):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        params = load(s.PageQuerySchema, query)
        require_manager(community, actor, membership)
        items, next_cursor = self.store.registrations_of_workshop(
            workshop_id, limit=params["limit"], cursor=params["cursor"],
            statuses=("confirmed", "waitlisted"))
        positions = domain.waitlist_positions(
            self.store.registrations_of_workshop(workshop_id, statuses=("waitlisted",)))
        return page(dump(s.RegistrationSchema, [{**r, "position": positions.get(r["_id"])} for r in items],
                         many=True), next_cursor)

    @rpc
    def record_attendance(self, workshop_id, fields):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        records = load(s.AttendanceSchema, fields)["records"]
        registrations = {r["user_id"]: r for r in self.store.registrations_of_workshop(workshop_id)}
        for registration_id, status, credits, events in domain.record_attendance(
                workshop, community, actor, membership, records, registrations, now()):
            self.store.record_attendance(registration_id, status, credits, events)
        items = self.store.registrations_of_workshop(workshop_id, statuses=("confirmed",))
        return page(dump(s.RegistrationSchema, items, many=True), None)

    @rpc
    def give_feedback(self, workshop_id, fields):
        actor, workshop, _, _ = self._at_workshop(workshop_id)
        given = load(s.FeedbackSchema, fields)
        registration = self.store.registration(workshop_id, actor.user_id)
        feedback, events = domain.give_feedback(workshop, registration, given, actor, now())
        self.store.add_feedback(registration["_id"], feedback, events)
        self.store.add_rating(workshop_id, feedback["rating"])
        return self._present(self.store.workshop(workshop_id), actor.user_id)

    # the caller's own

    def _registered(self, statuses, params):
        """The caller's (registration, workshop) pairs of ``statuses`` within ``params``' range."""
        registrations = self.store.registrations_of_user(self.actor().user_id, statuses)
        workshops = self.store.workshops_by_id({r["workshop_id"] for r in registrations})
        return domain.in_range(registrations, workshops, params)

    @rpc
    def my_workshops(self, query):
        params = load(s.MyWorkshopsQuerySchema, query)
        chosen, next_cursor = paginate_list(
            self._registered(("confirmed", "waitlisted"), params), key=lambda pair: pair[1]["order_key"],
            limit=params["limit"], cursor=params["cursor"])
        user_id = self.actor().user_id
        return page([self._present(workshop, user_id) for _, workshop in chosen], next_cursor)

    @rpc
    def transcript(self, query):
        return dump(s.TranscriptSchema, self._transcript(query))

    @rpc
    def transcript_csv(self, query):
        """The transcript as CSV text, for spreadsheets and HR systems."""
        return render_csv(dump(s.TranscriptSchema, self._transcript(query)))

    def _transcript(self, query):
        params = load(s.RangeQuerySchema, query)
        registered = self._registered(("confirmed",), params)
        completions = self.store.pathway_credits_of(self.actor().user_id)
        communities = self.communities.by_id({w["community_id"] for _, w in registered}
                                             | {c["community_id"] for c in completions})
        return domain.transcript(domain.transcript_entries(registered, communities)
                                 + domain.pathway_entries(completions, communities, params))

    def counts_put_right(self, workshop_ids):
        """A seat a process claimed and died before it registered anyone is given back by the
        recount; the first on the waitlist then has it."""
        for workshop_id in workshop_ids:
            workshop = self.store.workshop(workshop_id)
            if workshop is not None and workshop["status"] == "scheduled":
                seating.fill_seats(self.store, workshop)

    # reactions to membership (FollowsMembership calls these)

    def membership_ended(self, community_id, user_id):
        """Someone left: their seats and waitlist places for the community's future workshops go."""
        registrations = self.store.registrations_of_user(user_id, ("confirmed", "waitlisted"))
        workshops = self.store.workshops_by_id({r["workshop_id"] for r in registrations})
        for registration, workshop in domain.upcoming_in(community_id, registrations, workshops, now()):
            seating.cancel(self.store, workshop, registration, "left_community")

    def community_archived(self, community_id):
        """An archived community's future workshops are cancelled."""
        for workshop in self.store.future_workshops(community_id, now()):
            changes, events = domain.cancel(workshop, "the community was archived", None)
            self.store.update_workshop(workshop["_id"], changes, events)
