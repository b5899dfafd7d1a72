"""Seats and the waitlist: the sequences of atomic writes behind registering and cancelling.

Each step is one single-document atomic write, and the order is chosen so that any
interleaving of concurrent requests (in one process or across replicas) keeps capacity:
a seat is claimed on the workshop before a registration is confirmed, and given back if the
registration cannot be stored. ``record`` makes a domain event: ``record(type, subject, data)``.
"""
from commonplace.envelope import now
from services.events.store import pair_key


def _subject(workshop, user_id):
    return f"workshops/{workshop['_id']}/registrations/{user_id}"


def _facts(workshop, user_id):
    return {"workshop_id": workshop["_id"], "community_id": workshop["community_id"], "user_id": user_id}


def register(store, record, workshop, user_id):
    """Confirm a seat, or join the waitlist when there is none. Returns the registration."""
    registration = {
        "_id": pair_key(workshop["_id"], user_id), "workshop_id": workshop["_id"],
        "community_id": workshop["community_id"], "user_id": user_id, "registered_at": now(),
        "attendance": None, "credits_awarded": 0, "feedback": None, "waitlist_seq": None,
    }
    if store.claim_seat(workshop["_id"]):
        registration["status"] = "confirmed"
        event = record("registration.confirmed", _subject(workshop, user_id), _facts(workshop, user_id))
        try:
            store.add_registration(registration, [event])
        except Exception:
            store.release_seat(workshop["_id"])
            raise
        return {**registration, "position": None}
    registration["status"] = "waitlisted"
    registration["waitlist_seq"], position = store.take_waitlist_turn(workshop["_id"])
    event = record("registration.waitlisted", _subject(workshop, user_id),
                   {**_facts(workshop, user_id), "position": position})
    try:
        store.add_registration(registration, [event])
    except Exception:
        store.leave_waitlist(workshop["_id"])
        raise
    # A seat may have been freed between the full claim and joining the queue.
    if fill_seats(store, record, workshop):
        registration = store.registration(workshop["_id"], user_id)
        position = position_of(store, registration)
    return {**registration, "position": position}


def fill_seats(store, record, workshop):
    """Promote the first waitlisted people, in order, while seats are free; how many were."""
    promotions = 0
    while store.claim_seat(workshop["_id"]):
        promoted = False
        while not promoted:
            first = store.first_waitlisted(workshop["_id"])
            if first is None:
                store.release_seat(workshop["_id"])
                return promotions
            event = record("registration.promoted", _subject(workshop, first["user_id"]),
                           _facts(workshop, first["user_id"]))
            promoted = store.set_registration_status(first["_id"], "waitlisted", "confirmed", [event],
                                                     promoted_at=now())
        store.leave_waitlist(workshop["_id"])
        promotions += 1
    return promotions


def cancel(store, record, workshop, registration, reason):
    """End a registration; a freed seat goes to the waitlist. False if it had already ended."""
    previous = registration["status"]
    event = record("registration.cancelled", _subject(workshop, registration["user_id"]),
                   {**_facts(workshop, registration["user_id"]), "previous_status": previous,
                    "reason": reason})
    if not store.set_registration_status(registration["_id"], previous, "cancelled", [event],
                                         cancelled_reason=reason):
        return False
    if previous == "confirmed":
        store.release_seat(workshop["_id"])
        fill_seats(store, record, workshop)
    else:
        store.leave_waitlist(workshop["_id"])
    return True


def position_of(store, registration):
    """A waitlisted registration's place in the queue (1 is next); None otherwise."""
    if not registration or registration["status"] != "waitlisted":
        return None
    return store.waitlist_position(registration["workshop_id"], registration["waitlist_seq"])
