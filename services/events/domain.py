"""Workshop and registration rules. No I/O here.

``community`` is the service's projection of a community (organisation, visibility,
partners, archived) and ``membership`` the caller's projected active membership, or None.
"""
from commonplace.errors import Conflict, Forbidden, Invalid, NotFound
from commonplace.visibility import can_see

MANAGERS = ("owner", "facilitator")
TIME_FIELDS = ("starts_at", "ends_at")


def require_visible(community, actor, membership):
    if community is None or not can_see(community, actor, is_member=bool(membership)):
        raise NotFound("no such community")


def require_workshop_visible(workshop, community, actor, membership):
    if workshop is None or community is None or not can_see(community, actor, is_member=bool(membership)):
        raise NotFound("no such workshop")


def is_manager(community, actor, membership):
    return actor.administers(community["organisation"]) or bool(
        membership and membership["role"] in MANAGERS
    )


def require_manager(community, actor, membership):
    if not is_manager(community, actor, membership):
        raise Forbidden("only the community's owners and facilitators may do this")


def require_member(membership):
    if not membership:
        raise Forbidden("only members of the community may register")


def require_schedulable(community):
    if community.get("archived"):
        raise Conflict("the community is archived")


def check_starts_in_future(starts_at, now):
    if starts_at <= now:
        raise Invalid("a workshop must start in the future", {"starts_at": ["must be in the future"]})


def check_changeable(workshop):
    if workshop["status"] == "cancelled":
        raise Conflict("the workshop is cancelled")


def merged_times(workshop, changes, now):
    """The start and end after ``changes``; refuses an end before the start or a start moved into the past."""
    starts_at = changes.get("starts_at", workshop["starts_at"])
    ends_at = changes.get("ends_at", workshop["ends_at"])
    if ends_at <= starts_at:
        raise Invalid("the workshop must end after it starts", {"ends_at": ["must be after starts_at"]})
    if "starts_at" in changes and changes["starts_at"] != workshop["starts_at"]:
        check_starts_in_future(starts_at, now)
    return starts_at, ends_at


def is_rescheduled(workshop, changes):
    return any(field in changes and changes[field] != workshop[field] for field in TIME_FIELDS)


def check_capacity(new_capacity, confirmed_count):
    if new_capacity is not None and new_capacity < confirmed_count:
        raise Conflict(
            f"{confirmed_count} people hold seats; capacity cannot drop below that",
            {"capacity": [f"must be at least {confirmed_count}"]},
        )


def check_registration_open(workshop, now):
    check_changeable(workshop)
    if now >= workshop["starts_at"]:
        raise Conflict("registration closed when the workshop started")


def check_cancellable(registration, workshop, now):
    if registration is None or registration["status"] == "cancelled":
        raise NotFound("you are not registered for this workshop")
    if now >= workshop["starts_at"]:
        raise Conflict("the workshop has started; its registrations can no longer change")


def check_attendance_open(workshop, now):
    check_changeable(workshop)
    if now < workshop["starts_at"]:
        raise Conflict("attendance can be recorded once the workshop has started")


def check_attendees(records, registrations):
    """Every record must name someone holding a confirmed seat."""
    unknown = [r["user_id"] for r in records
               if registrations.get(r["user_id"], {}).get("status") != "confirmed"]
    if unknown:
        raise Invalid("attendance is recorded for confirmed registrations only",
                      {"records": [f"not a confirmed registration: {user}" for user in unknown]})


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


def check_feedback(registration):
    if not registration or registration.get("attendance") != "attended":
        raise Forbidden("only people who attended may give feedback")
    if registration.get("feedback"):
        raise Conflict("you have already given feedback on this workshop")


def within(instant, start, end):
    return (start is None or instant >= start) and (end is None or instant < end)


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
