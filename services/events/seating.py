"""Seats and the waitlist: the sequences of atomic writes behind registering, cancelling and
changing a workshop's capacity.

Each step is one single-document atomic write, and the order is chosen so that any
interleaving of concurrent requests (in one process or across replicas) keeps capacity:
a seat is claimed on the workshop before a registration is confirmed, and given back if the
registration cannot be stored. The domain events of each step come from ``domain``.
"""
from commonplace.clock import now
from commonplace.errors import Conflict
from services.events import domain

CAPACITY_ATTEMPTS = 10


def register(store, workshop, user_id):
    """Confirm a seat, or join the waitlist when there is none. Returns the registration."""
    if store.claim_seat(workshop["_id"]):
        registration = domain.new_registration(workshop, user_id, "confirmed", now())
        event = domain.registration_event("registration.confirmed", workshop, user_id)
        try:
            store.add_registration(registration, [event])
        except Exception:
            store.release_seat(workshop["_id"])
            raise
        return {**registration, "position": None}
    registration = domain.new_registration(workshop, user_id, "waitlisted", now())
    registration["waitlist_seq"], position = store.take_waitlist_turn(workshop["_id"])
    event = domain.registration_event("registration.waitlisted", workshop, user_id, position=position)
    try:
        store.add_registration(registration, [event])
    except Exception:
        store.leave_waitlist(workshop["_id"])
        raise
    # A seat may have been freed between the full claim and joining the queue.
    if fill_seats(store, workshop):
        registration = store.registration(workshop["_id"], user_id)
        position = position_of(store, registration)
    return {**registration, "position": position}


def fill_seats(store, workshop):
    """Promote the first waitlisted people, in order, while seats are free; how many were."""
    promotions = 0
    while store.claim_seat(workshop["_id"]):
        promoted = False
        while not promoted:
            first = store.first_waitlisted(workshop["_id"])
            if first is None:
                store.release_seat(workshop["_id"])
                return promotions
            event = domain.registration_event("registration.promoted", workshop, first["user_id"])
            promoted = store.set_registration_status(first["_id"], "waitlisted", "confirmed", [event],
                                                     promoted_at=now())
        store.leave_waitlist(workshop["_id"])
        promotions += 1
    return promotions


def cancel(store, workshop, registration, reason):
    """End a registration; a freed seat goes to the waitlist. False if it had already ended."""
    previous = registration["status"]
    event = domain.registration_event("registration.cancelled", workshop, registration["user_id"],
                                      previous_status=previous, reason=reason)
    if not store.set_registration_status(registration["_id"], previous, "cancelled", [event],
                                         cancelled_reason=reason):
        return False
    if previous == "confirmed":
        store.release_seat(workshop["_id"])
        fill_seats(store, workshop)
    else:
        store.leave_waitlist(workshop["_id"])
    return True


def change_capacity(store, workshop, capacity):
    """Set a new capacity against the seats taken meanwhile, then fill any freed seats.

    Registrations may change the seat count between reading the workshop and writing; the
    write then fails and is tried again on a fresh read, a bounded number of times.
    """
    if capacity == workshop["capacity"]:
        return
    for _ in range(CAPACITY_ATTEMPTS):
        domain.check_capacity(capacity, workshop["confirmed_count"])
        if store.change_capacity(workshop, capacity):
            fill_seats(store, workshop)
            return
        workshop = store.workshop(workshop["_id"])
        domain.check_changeable(workshop)
    raise Conflict("registrations kept changing the seat count; try again")


def position_of(store, registration):
    """A waitlisted registration's place in the queue (1 is next); None otherwise."""
    if not registration or registration["status"] != "waitlisted":
        return None
    return store.waitlist_position(registration["workshop_id"], registration["waitlist_seq"])
