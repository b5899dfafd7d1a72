"""What the notifications service knows of people and workshops, to address and word what it
tells: profiles (names, email addresses, roles; from membership), workshops' titles and who is
registered for each (from the events service).

Each is learnt from the domain events the service hears anyway, in the order it hears them,
and a copied document carries ``as_of`` (the event's time): an older message never overwrites
a newer state.

people       _id = the person's id; name, email, organisation, roles
workshops    _id = the workshop's id; title, starts_at, timezone
registrants  _id = "<workshop_id>:<user_id>"; active while the registration holds
"""
from pymongo import ASCENDING

from commonplace.clock import parse_time
from commonplace.ids import pair_id
from commonplace.projection import apply_newer

PROFILE = "commonplace.membership.profile.updated"
WORKSHOP = "commonplace.events.workshop."
HOLDS_A_PLACE = {"commonplace.events.registration.confirmed", "commonplace.events.registration.waitlisted",
                 "commonplace.events.registration.promoted"}
GAVE_UP_A_PLACE = "commonplace.events.registration.cancelled"


class Directory:
    def __init__(self, db):
        self.people = db["people"]
        self.workshops = db["workshops"]
        self.registrants = db["registrants"]

    def prepare(self):
        self.people.create_index([("organisation", ASCENDING), ("roles", ASCENDING)])
        self.registrants.create_index([("workshop_id", ASCENDING), ("active", ASCENDING)])

    def learn(self, event):
        """Keep what ``event`` says of people and workshops, if anything."""
        kind, data, as_of = event.get("type", ""), event.get("data") or {}, parse_time(event["time"])
        if kind == PROFILE:
            self.learn_profile(data, as_of)
        elif kind.startswith(WORKSHOP):
            apply_newer(self.workshops, data["workshop_id"], {
                "title": data["title"], "starts_at": data["starts_at"], "timezone": data["timezone"]}, as_of)
        elif kind in HOLDS_A_PLACE or kind == GAVE_UP_A_PLACE:
            apply_newer(self.registrants, pair_id(data["workshop_id"], data["user_id"]), {
                "workshop_id": data["workshop_id"], "user_id": data["user_id"],
                "active": kind != GAVE_UP_A_PLACE}, as_of)

    def learn_profile(self, profile, as_of):
        apply_newer(self.people, profile["user_id"], {
            key: profile.get(key) for key in ("organisation", "name", "email", "roles")}, as_of)

    def profiles(self, user_ids):
        """{user_id: profile} of those of ``user_ids`` the service knows."""
        return {d["_id"]: d for d in self.people.find({"_id": {"$in": [u for u in set(user_ids) if u]}})}

    def admins_of(self, organisation):
        return [d["_id"] for d in self.people.find({"organisation": organisation, "roles": "org_admin"}, {"_id": 1})]

    def workshop(self, workshop_id):
        return self.workshops.find_one({"_id": workshop_id}) if workshop_id else None

    def registered_for(self, workshop_id):
        return [d["user_id"] for d in self.registrants.find({"workshop_id": workshop_id, "active": True})]
