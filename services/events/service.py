"""The events service: workshops, registrations, attendance, credits, calendars.

It keeps its own projection of communities and memberships, fed by the membership service's
domain events and caught up by RPC on start, so registration works while membership is down.
"""
import datetime
import logging

from nameko.timer import timer

from commonplace.actor import CurrentActor
from commonplace.envelope import as_utc, isoformat, now, parse_time
from commonplace.errors import Conflict, DomainError, NotFound
from commonplace.handlers import domain_event_handler
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import page
from commonplace.rpc import ServiceRpc, rpc
from commonplace.storage import Storage
from commonplace.validation import load
from services.events import calendar, domain, domain_events, seating  # noqa: F401 - the catalogue
from services.events import schemas as s
from services.events.store import WorkshopRepository, new_id, pair_key

log = logging.getLogger(__name__)

MEMBERSHIP = "commonplace.membership."
CATCH_UP_EVERY = datetime.timedelta(minutes=5)
CATCH_UP_RETRY_SECONDS = 10


def _utc(instant):
    # Kept to the second, as calendars keep them, so a time reads back the same everywhere.
    return as_utc(instant).replace(microsecond=0)


def _event_time(event):
    return parse_time(event["time"])


def workshop_facts(workshop):
    return {
        "workshop_id": workshop["_id"], "community_id": workshop["community_id"],
        "title": workshop["title"], "format": workshop["format"],
        "starts_at": isoformat(workshop["starts_at"]), "ends_at": isoformat(workshop["ends_at"]),
        "timezone": workshop["timezone"], "capacity": workshop["capacity"],
        "credits": workshop["credits"], "sequence": workshop.get("sequence", 0),
    }


class EventsService:
    name = "events"

    store = Storage(WorkshopRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()
    membership = ServiceRpc("membership")

    def _record(self, short_type, subject, data, workshop):
        return self.outbox.new(short_type, subject=subject, data=data,
                               community=workshop["community_id"], organisation=workshop["organisation"])

    def _recorder(self, workshop):
        return lambda short_type, subject, data: self._record(short_type, subject, data, workshop)

    def _in_community(self, community_id):
        """(actor, community, membership) for a community the actor may see."""
        actor = self.actor()
        community = self.store.community(community_id)
        membership = self.store.membership(community_id, actor.user_id) if community else None
        domain.require_visible(community, actor, membership)
        return actor, community, membership

    def _at_workshop(self, workshop_id):
        actor = self.actor()
        workshop = self.store.workshop(workshop_id)
        community = self.store.community(workshop["community_id"]) if workshop else None
        membership = self.store.membership(community["_id"], actor.user_id) if community else None
        domain.require_workshop_visible(workshop, community, actor, membership)
        return actor, workshop, community, membership

    def _dump(self, workshop, user_id=None):
        registration = self.store.registration(workshop["_id"], user_id) if user_id else None
        if registration and registration["status"] == "cancelled":
            registration = None
        count = workshop.get("rating_count", 0)
        return s.WorkshopSchema().dump({
            **workshop,
            "average_rating": round(workshop["rating_sum"] / count, 2) if count else None,
            "registration": registration and {
                "status": registration["status"],
                "position": seating.position_of(self.store, registration),
                "attendance": registration.get("attendance"),
            },
        })

    @rpc
    def health(self):
        self.store.ping()
        return {"service": self.name, "status": "ok"}

    # workshops

    @rpc
    def schedule_workshop(self, community_id, fields):
        actor, community, membership = self._in_community(community_id)
        data = load(s.WorkshopCreateSchema(), fields)
        domain.require_manager(community, actor, membership)
        domain.require_schedulable(community)
        domain.check_starts_in_future(data["starts_at"], now())
        workshop = {
            "_id": new_id(), "community_id": community_id, "organisation": community["organisation"],
            "title": data["title"], "description": data["description"], "format": data["format"],
            "starts_at": _utc(data["starts_at"]), "ends_at": _utc(data["ends_at"]),
            "timezone": data["timezone"], "location": data.get("location"),
            "online_url": data.get("online_url"), "capacity": data["capacity"],
            "credits": data["credits"], "facilitators": data.get("facilitators") or [actor.user_id],
            "status": "scheduled", "cancel_reason": None, "sequence": 0,
            "created_by": actor.user_id, "created_at": now(), "updated_at": now(),
        }
        event = self._record("workshop.scheduled", f"workshops/{workshop['_id']}",
                             {**workshop_facts(workshop), "scheduled_by": actor.user_id}, workshop)
        self.store.add_workshop(workshop, [event])
        return self._dump(self.store.workshop(workshop["_id"]))

    @rpc
    def list_workshops(self, community_id, query):
        self._in_community(community_id)
        params = load(s.WorkshopListQuerySchema(), query)
        conditions = [{"community_id": community_id}]
        if params.get("from_"):
            conditions.append({"starts_at": {"$gte": _utc(params["from_"])}})
        if params.get("to"):
            conditions.append({"starts_at": {"$lt": _utc(params["to"])}})
        if params.get("status"):
            conditions.append({"status": params["status"]})
        items, next_cursor = self.store.list_workshops(
            {"$and": conditions}, limit=params["limit"], cursor=params["cursor"],
        )
        return page([self._dump(w) for w in items], next_cursor)

    @rpc
    def get_workshop(self, workshop_id):
        actor, workshop, _, _ = self._at_workshop(workshop_id)
        return self._dump(workshop, actor.user_id)

    @rpc
    def update_workshop(self, workshop_id, fields):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        changes = load(s.WorkshopUpdateSchema(), fields)
        domain.require_manager(community, actor, membership)
        domain.check_changeable(workshop)
        for field in ("starts_at", "ends_at"):
            if field in changes:
                changes[field] = _utc(changes[field])
        domain.merged_times(workshop, changes, now())
        if "capacity" in changes and changes["capacity"] != workshop["capacity"]:
            self._change_capacity(workshop, changes["capacity"])
        details = {k: v for k, v in changes.items() if k != "capacity"}
        after = {**workshop, **changes, "sequence": workshop["sequence"] + 1}
        if domain.is_rescheduled(workshop, changes):
            event = self._record("workshop.rescheduled", f"workshops/{workshop_id}", {
                **workshop_facts(after), "previous_starts_at": isoformat(workshop["starts_at"]),
                "previous_ends_at": isoformat(workshop["ends_at"])}, workshop)
        else:
            event = self._record("workshop.updated", f"workshops/{workshop_id}",
                                 {**workshop_facts(after), "changed": sorted(changes)}, workshop)
        updated = self.store.update_workshop(workshop_id, details, [event])
        return self._dump(updated, actor.user_id)

    def _change_capacity(self, workshop, capacity):
        for _ in range(10):
            domain.check_capacity(capacity, workshop["confirmed_count"])
            if self.store.change_capacity(workshop, capacity):
                seating.fill_seats(self.store, self._recorder(workshop), workshop)
                return
            workshop = self.store.workshop(workshop["_id"])
            domain.check_changeable(workshop)
        raise Conflict("registrations kept changing the seat count; try again")

    @rpc
    def cancel_workshop(self, workshop_id, fields):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        reason = load(s.CancelSchema(), fields)["reason"]
        domain.require_manager(community, actor, membership)
        domain.check_changeable(workshop)
        return self._dump(self._cancel(workshop, reason, actor.user_id), actor.user_id)

    def _cancel(self, workshop, reason, cancelled_by):
        after = {**workshop, "sequence": workshop["sequence"] + 1}
        event = self._record("workshop.cancelled", f"workshops/{workshop['_id']}", {
            **workshop_facts(after), "reason": reason, "cancelled_by": cancelled_by}, workshop)
        return self.store.update_workshop(
            workshop["_id"], {"status": "cancelled", "cancel_reason": reason}, [event])

    @rpc
    def calendar(self, community_id):
        _, community, _ = self._in_community(community_id)
        return calendar.render(community.get("name", community_id),
                               self.store.community_workshops(community_id))

    # registrations

    @rpc
    def register(self, workshop_id):
        actor, workshop, _, membership = self._at_workshop(workshop_id)
        domain.require_member(membership)
        domain.check_registration_open(workshop, now())
        registration = seating.register(self.store, self._recorder(workshop), workshop, actor.user_id)
        return s.RegistrationSchema().dump(registration)

    @rpc
    def cancel_registration(self, workshop_id):
        actor, workshop, _, _ = self._at_workshop(workshop_id)
        registration = self.store.registration(workshop_id, actor.user_id)
        domain.check_cancellable(registration, workshop, now())
        if not seating.cancel(self.store, self._recorder(workshop), workshop, registration, "cancelled_by_member"):
            raise NotFound("you are not registered for this workshop")
        return s.RegistrationSchema().dump(self.store.registration(workshop_id, actor.user_id))

    @rpc
    def list_registrations(self, workshop_id, query):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        params = load(s.PageQuerySchema(), query)
        domain.require_manager(community, actor, membership)
        items, next_cursor = self.store.registrations_of_workshop(
            workshop_id, limit=params["limit"], cursor=params["cursor"],
            statuses=("confirmed", "waitlisted"))
        waitlist = sorted(self.store.registrations_of_workshop(workshop_id, statuses=("waitlisted",)),
                          key=lambda r: r["waitlist_seq"])
        positions = {r["_id"]: n for n, r in enumerate(waitlist, start=1)}
        return page(s.RegistrationSchema(many=True).dump(
            [{**r, "position": positions.get(r["_id"])} for r in items]), next_cursor)

    @rpc
    def record_attendance(self, workshop_id, fields):
        actor, workshop, community, membership = self._at_workshop(workshop_id)
        records = load(s.AttendanceSchema(), fields)["records"]
        domain.require_manager(community, actor, membership)
        domain.check_attendance_open(workshop, now())
        registrations = {r["user_id"]: r for r in self.store.registrations_of_workshop(workshop_id)}
        domain.check_attendees(records, registrations)
        for record in records:
            registration = registrations[record["user_id"]]
            if registration.get("attendance") == record["status"]:
                continue
            facts = {"workshop_id": workshop_id, "community_id": workshop["community_id"],
                     "user_id": record["user_id"]}
            subject = f"workshops/{workshop_id}/registrations/{record['user_id']}"
            events = [self._record("attendance.recorded", subject,
                                   {**facts, "status": record["status"], "recorded_by": actor.user_id},
                                   workshop)]
            credits = registration.get("credits_awarded", 0)
            change = domain.credit_change(registration, record["status"], workshop["credits"])
            if change:
                outcome, amount = change
                events.append(self._record(f"credits.{outcome}", subject, {**facts, "credits": amount},
                                           workshop))
                credits = amount if outcome == "awarded" else 0
            self.store.record_attendance(registration["_id"], record["status"], credits, events)
        items = self.store.registrations_of_workshop(workshop_id, statuses=("confirmed",))
        return page(s.RegistrationSchema(many=True).dump(items), None)

    @rpc
    def give_feedback(self, workshop_id, fields):
        actor, workshop, _, _ = self._at_workshop(workshop_id)
        feedback = load(s.FeedbackSchema(), fields)
        registration = self.store.registration(workshop_id, actor.user_id)
        domain.check_feedback(registration)
        event = self._record("feedback.given", f"workshops/{workshop_id}/feedback/{actor.user_id}", {
            "workshop_id": workshop_id, "community_id": workshop["community_id"],
            "user_id": actor.user_id, "rating": feedback["rating"]}, workshop)
        self.store.add_feedback(registration["_id"], {**feedback, "given_at": now()}, [event])
        self.store.add_rating(workshop_id, feedback["rating"])
        return self._dump(self.store.workshop(workshop_id), actor.user_id)

    # the caller's own

    def _my_registrations(self, user_id, statuses, query):
        params = load(s.RangeQuerySchema(), query)
        registrations = self.store.registrations_of_user(user_id, statuses)
        workshops = self.store.workshops_by_id({r["workshop_id"] for r in registrations})
        chosen = [
            (r, workshops[r["workshop_id"]]) for r in registrations
            if r["workshop_id"] in workshops and domain.within(
                workshops[r["workshop_id"]]["starts_at"], params.get("from_"), params.get("to"))
        ]
        return sorted(chosen, key=lambda pair: pair[1]["order_key"])

    @rpc
    def my_workshops(self, query):
        actor = self.actor()
        chosen = self._my_registrations(actor.user_id, ("confirmed", "waitlisted"), query)
        return page([self._dump(workshop, actor.user_id) for _, workshop in chosen], None)

    @rpc
    def transcript(self, query):
        actor = self.actor()
        chosen = [(r, w) for r, w in self._my_registrations(actor.user_id, ("confirmed",), query)
                  if r.get("attendance") == "attended"]
        communities = self.store.communities_by_id({w["community_id"] for _, w in chosen})
        entries = [{
            "workshop_id": w["_id"], "title": w["title"], "community_id": w["community_id"],
            "community": communities.get(w["community_id"], {}).get("name"),
            "domain": communities.get(w["community_id"], {}).get("domain"),
            "starts_at": w["starts_at"], "credits": r.get("credits_awarded", 0),
        } for r, w in chosen]
        return s.TranscriptSchema().dump(domain.transcript(entries))

    # the projection of membership

    @domain_event_handler("membership", MEMBERSHIP + "community.created")
    def on_community_created(self, event):
        self.store.project_community(event["data"], _event_time(event))

    @domain_event_handler("membership", MEMBERSHIP + "community.updated")
    def on_community_updated(self, event):
        self.store.project_community(event["data"], _event_time(event))

    @domain_event_handler("membership", MEMBERSHIP + "partner.added")
    def on_partner_added(self, event):
        self.store.project_partner(event["data"]["community_id"], event["data"]["partner"])

    @domain_event_handler("membership", MEMBERSHIP + "community.archived")
    def on_community_archived(self, event):
        community_id = event["data"]["community_id"]
        self.store.project_community({"community_id": community_id, "archived": True}, _event_time(event))
        for workshop in self.store.future_workshops(community_id, now()):
            self._cancel(workshop, "the community was archived", None)

    @domain_event_handler("membership", MEMBERSHIP + "member.joined")
    def on_member_joined(self, event):
        self.store.project_membership(event["data"], True, _event_time(event))

    @domain_event_handler("membership", MEMBERSHIP + "member.role_changed")
    def on_member_role_changed(self, event):
        self.store.project_membership(event["data"], True, _event_time(event))

    @domain_event_handler("membership", MEMBERSHIP + "member.left")
    def on_member_left(self, event):
        self._end_membership(event)

    @domain_event_handler("membership", MEMBERSHIP + "member.removed")
    def on_member_removed(self, event):
        self._end_membership(event)

    def _end_membership(self, event):
        self.store.project_membership(event["data"], False, _event_time(event))
        self._cancel_future_registrations(event["data"]["community_id"], event["data"]["user_id"])

    def _cancel_future_registrations(self, community_id, user_id):
        """Someone left: their seats and waitlist places for the community's future workshops go."""
        registrations = self.store.registrations_of_user(user_id, ("confirmed", "waitlisted"))
        workshops = self.store.workshops_by_id({r["workshop_id"] for r in registrations})
        for registration in registrations:
            workshop = workshops.get(registration["workshop_id"])
            if workshop and workshop["community_id"] == community_id and workshop["starts_at"] > now():
                seating.cancel(self.store, self._recorder(workshop), workshop, registration, "left_community")

    @timer(interval=CATCH_UP_RETRY_SECONDS, eager=True)
    def catch_up(self):
        """Bring the projection level with the membership service: at start, then every few
        minutes; after a failure (membership down) again within seconds."""
        started = now()
        last = self.store.last_catch_up()
        if last is not None and started - last < CATCH_UP_EVERY:
            return
        try:
            for community in self._export("export_communities"):
                self.store.project_community({**community, "community_id": community["id"]}, started)
            present = set()
            for membership in self._export("export_memberships"):
                self.store.project_membership(membership, True, started)
                present.add(pair_key(membership["community_id"], membership["user_id"]))
        except DomainError as error:
            log.warning("membership catch-up postponed: %s", error.message)
            return
        for ended in self.store.deactivate_memberships_missing_from(present, started):
            self._cancel_future_registrations(ended["community_id"], ended["user_id"])
        self.store.caught_up(started)

    def _export(self, method):
        cursor = None
        while True:
            batch = getattr(self.membership, method)(limit=500, cursor=cursor)
            yield from batch["items"]
            cursor = batch["next_cursor"]
            if cursor is None:
                return
