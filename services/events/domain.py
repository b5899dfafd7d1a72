"""Workshop and registration rules, and the documents and domain events each change makes.
No I/O here.

``community`` is the service's copy of a community (organisation, visibility, partners,
archived) and ``membership`` the caller's copied active membership, or None. ``now`` is passed
in where a rule depends on the time.
"""
from commonplace.clock import parse_time, to_second
from commonplace.errors import Conflict, Forbidden, NotFound, Unprocessable
from commonplace.ids import new_id, pair_id
from commonplace.permissions import require_manager, require_member, require_not_archived
from commonplace.queries import all_of
from services.events.domain_events import workshop_event

TIME_FIELDS = ("starts_at", "ends_at")


def _subject(workshop):
    return f"workshops/{workshop['_id']}"


# workshops

def schedule(community, actor, membership, data, now):
    """(workshop, events) of scheduling a workshop (owners and facilitators)."""
    require_manager(community, actor, membership)
    require_not_archived(community)
    _check_times(data["starts_at"], data["ends_at"])
    _check_starts_in_future(data["starts_at"], now)
    workshop = {
        "_id": new_id(), "community_id": community["_id"], "organisation": community["organisation"],
        "title": data["title"], "description": data["description"], "format": data["format"],
        "starts_at": to_second(data["starts_at"]), "ends_at": to_second(data["ends_at"]),
        "timezone": data["timezone"], "location": data.get("location"),
        "online_url": data.get("online_url"), "capacity": data["capacity"],
        "credits": data["credits"], "facilitators": data.get("facilitators") or [actor.user_id],
        "status": "scheduled", "cancel_reason": None, "sequence": 0,
        "created_by": actor.user_id, "created_at": now, "updated_at": now,
    }
    event = workshop_event("workshop.scheduled", workshop, _subject(workshop),
                           {**workshop, "scheduled_by": actor.user_id})
    return workshop, [event]


# Rules about two fields together, or about the time now, which no schema can state: the
# input is well-formed, and answered 422.

def _check_times(starts_at, ends_at):
    if ends_at <= starts_at:
        raise Unprocessable("the workshop must end after it starts", {"ends_at": ["must be after starts_at"]})


def _check_starts_in_future(starts_at, now):
    if starts_at <= now:
        raise Unprocessable("a workshop must start in the future", {"starts_at": ["must be in the future"]})


def workshop_query(community_id, params):
    """The store query of a community's workshop list, with its time and status filters."""
    conditions = [{"community_id": community_id}]
    if params.get("from_"):
        conditions.append({"starts_at": {"$gte": to_second(params["from_"])}})
    if params.get("to"):
        conditions.append({"starts_at": {"$lt": to_second(params["to"])}})
    if params.get("status"):
        conditions.append({"status": params["status"]})
    return all_of(*conditions)


def check_changeable(workshop):
    if workshop["status"] == "cancelled":
        raise Conflict("the workshop is cancelled")


def check_update(workshop, community, actor, membership, changes, now):
    """``changes`` with its times kept to the second, once the rules allow them: managers
    change scheduled workshops, never to end before they start or to start in the past."""
    require_manager(community, actor, membership)
    check_changeable(workshop)
    changes = {key: to_second(value) if key in TIME_FIELDS else value
               for key, value in changes.items()}
    starts_at = changes.get("starts_at", workshop["starts_at"])
    _check_times(starts_at, changes.get("ends_at", workshop["ends_at"]))
    if "starts_at" in changes and changes["starts_at"] != workshop["starts_at"]:
        _check_starts_in_future(starts_at, now)
    return changes


def update(workshop, changes):
    """(details, events) of applying checked ``changes`` (capacity aside, which the seats
    follow): ``workshop.rescheduled`` when its time moved, ``workshop.updated`` otherwise."""
    after = {**workshop, **changes, "sequence": workshop["sequence"] + 1}
    if any(field in changes and changes[field] != workshop[field] for field in TIME_FIELDS):
        event = workshop_event("workshop.rescheduled", workshop, _subject(workshop), {
            **after, "previous_starts_at": workshop["starts_at"], "previous_ends_at": workshop["ends_at"]})
    else:
        event = workshop_event("workshop.updated", workshop, _subject(workshop),
                               {**after, "changed": sorted(changes)})
    return {k: v for k, v in changes.items() if k != "capacity"}, [event]


def check_capacity(new_capacity, confirmed_count):
    if new_capacity is not None and new_capacity < confirmed_count:
        raise Conflict(
            f"{confirmed_count} people hold seats; capacity cannot drop below that",
            {"capacity": [f"must be at least {confirmed_count}"]},
        )


def cancel(workshop, reason, cancelled_by):
    """(changes, events) of cancelling a workshop; ``cancelled_by`` None when the platform did."""
    after = {**workshop, "sequence": workshop["sequence"] + 1}
    event = workshop_event("workshop.cancelled", workshop, _subject(workshop), {
        **after, "reason": reason, "cancelled_by": cancelled_by})
    return {"status": "cancelled", "cancel_reason": reason}, [event]


def check_cancel(workshop, community, actor, membership):
    require_manager(community, actor, membership)
    check_changeable(workshop)


def present(workshop, registration=None, position=None, manages=False):
    """A workshop as callers see it: with its average rating and the caller's registration. Its
    online link is for those with a seat, and its managers: a waitlist is not a way in."""
    count = workshop.get("rating_count", 0)
    live = registration if registration and registration["status"] != "cancelled" else None
    seated = manages or bool(live and live["status"] == "confirmed")
    return {
        **workshop,
        "online_url": workshop.get("online_url") if seated else None,
        "has_online_url": bool(workshop.get("online_url")),
        "average_rating": round(workshop["rating_sum"] / count, 2) if count else None,
        "registration": live and {
            "status": live["status"], "position": position, "attendance": live.get("attendance"),
        },
    }


# registrations

def new_registration(workshop, user_id, status, now):
    return {
        "_id": pair_id(workshop["_id"], user_id), "workshop_id": workshop["_id"],
        "community_id": workshop["community_id"], "user_id": user_id, "registered_at": now,
        "attendance": None, "credits_awarded": 0, "feedback": None, "waitlist_seq": None,
        "status": status,
    }


def registration_event(short_type, workshop, user_id, **data):
    """A new ``registration.*``, ``attendance.*``, ``credits.*`` or ``feedback.*`` event."""
    facts = {"workshop_id": workshop["_id"], "community_id": workshop["community_id"], "user_id": user_id}
    return workshop_event(short_type, workshop, f"workshops/{workshop['_id']}/registrations/{user_id}",
                          {**facts, **data})


def check_registration(workshop, membership, registration, now):
    """Members register, once, for scheduled workshops that have not started."""
    require_member(membership, "register")
    check_changeable(workshop)
    if now >= workshop["starts_at"]:
        raise Conflict("registration closed when the workshop started")
    if registration and registration["status"] != "cancelled":
        # Refused before a seat or a waitlist turn is taken, so the refusal changes nothing.
        raise Conflict("you are already registered for this workshop")


def not_registered():
    return NotFound("you are not registered for this workshop")


def check_cancellable(registration, workshop, now):
    if registration is None or registration["status"] == "cancelled":
        raise not_registered()
    if now >= workshop["starts_at"]:
        raise Conflict("the workshop has started; its registrations can no longer change")


def upcoming_in(community_id, registrations, workshops, now):
    """[(registration, workshop)] of ``registrations`` for the community's workshops yet to start."""
    return [(registration, workshops[registration["workshop_id"]]) for registration in registrations
            if registration["workshop_id"] in workshops
            and workshops[registration["workshop_id"]]["community_id"] == community_id
            and workshops[registration["workshop_id"]]["starts_at"] > now]


def waitlist_positions(waitlisted):
    """{registration id: place in the queue (1 is next)} of a workshop's waitlisted registrations."""
    ordered = sorted(waitlisted, key=lambda registration: registration["waitlist_seq"])
    return {registration["_id"]: place for place, registration in enumerate(ordered, start=1)}


def record_attendance(workshop, community, actor, membership, records, registrations, now):
    """[(registration id, status, credits now held, events)] for the records that change
    something. Managers record once the workshop has started, for confirmed registrations;
    attending earns the workshop's credits once, and "absent" takes back what was awarded."""
    require_manager(community, actor, membership)
    check_changeable(workshop)
    if now < workshop["starts_at"]:
        raise Conflict("attendance can be recorded once the workshop has started")
    records = list({record["user_id"]: record for record in records}.values())  # the last counts
    unknown = [r["user_id"] for r in records
               if registrations.get(r["user_id"], {}).get("status") != "confirmed"]
    if unknown:
        raise Unprocessable("attendance is recorded for confirmed registrations only",
                      {"records": [f"not a confirmed registration: {user}" for user in unknown]})
    changes = []
    for record in records:
        registration = registrations[record["user_id"]]
        if registration.get("attendance") == record["status"]:
            continue
        events = [registration_event("attendance.recorded", workshop, record["user_id"],
                                     status=record["status"], recorded_by=actor.user_id)]
        credits = registration.get("credits_awarded", 0)
        change = credit_change(registration, record["status"], workshop["credits"])
        if change:
            outcome, amount = change
            events.append(registration_event(f"credits.{outcome}", workshop, record["user_id"],
                                             credits=amount))
            credits = amount if outcome == "awarded" else 0
        changes.append((registration["_id"], record["status"], credits, events))
    return changes


def credit_change(registration, status, credits):
    """("awarded", n), ("revoked", n) or None: what recording ``status`` does to credits.

    Credits are awarded once, on the first "attended"; "absent" takes back what was awarded.
    """
    awarded = registration.get("credits_awarded", 0)
    if status == "attended" and registration.get("attendance") != "attended":
        return ("awarded", credits)
    if status == "absent" and awarded:
        return ("revoked", awarded)
    return None


def give_feedback(workshop, registration, feedback, actor, now):
    """(feedback, events): attendees rate a workshop once."""
    if not registration or registration.get("attendance") != "attended":
        raise Forbidden("only people who attended may give feedback")
    if registration.get("feedback"):
        raise Conflict("you have already given feedback on this workshop")
    event = workshop_event("feedback.given", workshop,
                           f"workshops/{workshop['_id']}/feedback/{actor.user_id}", {
                               "workshop_id": workshop["_id"], "community_id": workshop["community_id"],
                               "user_id": actor.user_id, "rating": feedback["rating"]})
    return {**feedback, "given_at": now}, [event]


# the caller's own

def within(instant, start, end):
    return (start is None or instant >= start) and (end is None or instant < end)


def in_range(registrations, workshops, params):
    """[(registration, workshop)] whose workshop starts within ``params``' from/to, by start."""
    chosen = [
        (registration, workshops[registration["workshop_id"]]) for registration in registrations
        if registration["workshop_id"] in workshops and within(
            workshops[registration["workshop_id"]]["starts_at"], params.get("from_"), params.get("to"))
    ]
    return sorted(chosen, key=lambda pair: pair[1]["order_key"])


def transcript_entries(registered, communities):
    """The transcript's lines: the attended ones of ``registered`` (registration, workshop)
    pairs, with their community's name and domain from ``communities`` (by id)."""
    return [{
        "kind": "workshop", "workshop_id": w["_id"], "title": w["title"], "community_id": w["community_id"],
        "community": communities.get(w["community_id"], {}).get("name"),
        "domain": communities.get(w["community_id"], {}).get("domain"),
        "starts_at": w["starts_at"], "credits": r.get("credits_awarded", 0),
    } for r, w in registered if r.get("attendance") == "attended"]


def pathway_entries(completions, communities, params):
    """The transcript's lines of pathways completed within ``params``' from/to (``completions``:
    the service's copy of the learning service's), beside the workshops'."""
    return [{
        "kind": "pathway", "pathway_id": c["pathway_id"], "title": c["title"], "community_id": c["community_id"],
        "community": communities.get(c["community_id"], {}).get("name"),
        "domain": c.get("domain") or communities.get(c["community_id"], {}).get("domain"),
        "completed_at": c["completed_at"], "expires_at": c.get("expires_at"), "credits": c["credits"],
    } for c in sorted(completions, key=lambda c: c["completed_at"])
        if within(c["completed_at"], params.get("from_"), params.get("to"))]


def pathway_credit(event):
    """The copy kept of a pathway completion event (awarded, or renewed: no credits of its own)."""
    data = event["data"]
    return {"_id": pair_id(data["pathway_id"], data["user_id"]), "pathway_id": data["pathway_id"],
            "user_id": data["user_id"], "community_id": data["community_id"], "title": data["title"],
            "domain": data.get("domain"), "credits": data.get("credits", 0),
            "completed_at": parse_time(data["completed_at"]),
            "expires_at": parse_time(data["expires_at"]) if data.get("expires_at") else None}


def transcript(entries):
    """Totals of attended workshops: ``entries`` are dicts with credits, community_id, domain."""
    by_community, by_domain = {}, {}
    for entry in entries:
        by_community[entry["community_id"]] = by_community.get(entry["community_id"], 0) + entry["credits"]
        domain = entry.get("domain") or "unknown"
        by_domain[domain] = by_domain.get(domain, 0) + entry["credits"]
    return {
        "total_credits": sum(entry["credits"] for entry in entries), "items": entries,
        "by_community": by_community, "by_domain": by_domain,
    }
