"""Initiative rules — projects inside a community: who runs them, how they move from proposed to
done, their milestones, links, progress notes and decisions — and the documents and domain
events each change makes. No I/O here.

``community`` is the service's copy of a community and ``membership`` the caller's copied
active membership, or None. An initiative's ``people`` are its stewards and contributors
(``{"user_id", "role", "joined_at"}``); ``stewards`` and ``members`` repeat their ids, for
queries and for the events that tell them. The community's owners and facilitators (and its
organisation's admins) may do whatever a steward may: they look after what happens in it.
"""
import datetime

from commonplace.clock import as_utc
from commonplace.errors import Conflict, Forbidden, NotFound, Unprocessable
from commonplace.ids import new_id, pair_id
from commonplace.permissions import is_manager, require_member, require_not_archived
from commonplace.queries import all_of
from services.initiatives.domain_events import initiative_event

STEWARD, CONTRIBUTOR = "steward", "contributor"
OPEN = ("proposed", "active", "paused")
# action -> (the statuses it may start from, the status it leads to)
TRANSITIONS = {
    "start": (("proposed",), "active"),
    "pause": (("active",), "paused"),
    "resume": (("paused",), "active"),
    "complete": (("active", "paused"), "completed"),
    "abandon": (("proposed", "active", "paused"), "abandoned"),
}
EVENT_OF = {"start": "initiative.started", "pause": "initiative.paused", "resume": "initiative.resumed",
            "complete": "initiative.completed", "abandon": "initiative.abandoned"}
MAX_LINKS = 50
MAX_DECISION_DAYS = 90
CLOSING_NOTICE = datetime.timedelta(days=1)
POSITIONS = ("agree", "disagree", "abstain")


def _with_people(initiative, people):
    return {**initiative, "people": people,
            "stewards": [p["user_id"] for p in people if p["role"] == STEWARD],
            "members": [p["user_id"] for p in people]}


def role_of(initiative, user_id):
    return next((p["role"] for p in initiative["people"] if p["user_id"] == user_id), None)


def present(initiative, user_id):
    """An initiative as callers see it: with the caller's role in it."""
    return {**initiative, "member_count": len(initiative["people"]), "my_role": role_of(initiative, user_id)}


def may_steward(initiative, community, actor, membership):
    return role_of(initiative, actor.user_id) == STEWARD or is_manager(community, actor, membership)


def _require_steward(initiative, community, actor, membership, doing="do this"):
    if not may_steward(initiative, community, actor, membership):
        raise Forbidden(f"only the initiative's stewards may {doing}")


def _require_taking_part(initiative, community, actor, membership, doing):
    if role_of(initiative, actor.user_id) is None and not is_manager(community, actor, membership):
        raise Forbidden(f"only the initiative's stewards and contributors may {doing}")


def _require_open(initiative, community):
    """What is completed or abandoned is kept as it ended; an archived community is read-only."""
    require_not_archived(community)
    if initiative["status"] not in OPEN:
        raise Conflict(f"the initiative is {initiative['status']}: it can be read, not changed")


# initiatives

def propose(community, actor, membership, data, now):
    """(initiative, events): any member proposes one, and is its first steward."""
    require_member(membership, "propose an initiative")
    require_not_archived(community)
    initiative = _with_people({
        "_id": new_id(), "community_id": community["_id"], "organisation": community["organisation"],
        "title": data["title"], "goal": data["goal"], "tags": sorted(set(data["tags"])),
        "status": "proposed", "links": [], "completion": None, "abandon_reason": None,
        "created_by": actor.user_id, "created_at": now, "updated_at": now, "sequence": 0,
    }, [{"user_id": actor.user_id, "role": STEWARD, "joined_at": now}])
    return initiative, [initiative_event("initiative.proposed", initiative, {
        "goal": initiative["goal"], "proposed_by": actor.user_id})]


def listing_query(community_id, params):
    conditions = [{"community_id": community_id}]
    if params.get("status"):
        conditions.append({"status": params["status"]})
    if params.get("tag"):
        conditions.append({"tags": params["tag"]})
    return all_of(*conditions)


def mine_query(user_id, params):
    """The store query of the caller's initiatives (of ``role``, when asked)."""
    if params.get("role") == STEWARD:
        return {"stewards": user_id}
    if params.get("role") == CONTRIBUTOR:
        return all_of({"members": user_id}, {"stewards": {"$ne": user_id}})
    return {"members": user_id}


def change(initiative, community, actor, membership, data, now):
    """(changes, events) of a steward changing the title, goal or tags."""
    _require_steward(initiative, community, actor, membership, "change it")
    _require_open(initiative, community)
    if "tags" in data:
        data = {**data, "tags": sorted(set(data["tags"]))}
    changed = sorted(key for key, value in data.items() if initiative[key] != value)
    after = {**initiative, **data}
    return data, [initiative_event("initiative.updated", after, {"changed": changed, "updated_by": actor.user_id})]


# The moves asked for by name alone (completing and abandoning each have a route of their own).
PLAIN_MOVES = ("start", "pause", "resume")


def require_plain_move(action):
    if action not in PLAIN_MOVES:
        raise NotFound("no such action")


def move(initiative, community, actor, membership, action, now, **done):
    """(changes, events) of ``action`` (start, pause, resume, complete, abandon) by a steward.
    ``done`` is what completing or abandoning records (``completion`` or ``abandon_reason``)."""
    _require_steward(initiative, community, actor, membership, f"{action} it")
    require_not_archived(community)
    check_move(initiative, action)
    changes = {"status": TRANSITIONS[action][1], **done}
    after = {**initiative, **changes}
    data = {"previous_status": initiative["status"], "changed_by": actor.user_id}
    if action == "complete":
        completion = done["completion"]
        data.update(outcome_kind=completion["kind"], outcome_title=completion["title"],
                    artifact_id=completion["artifact_id"], no_outcome=completion["no_outcome"])
    if action == "abandon":
        data["reason"] = done["abandon_reason"]
    return changes, [initiative_event(EVENT_OF[action], after, data)]


def check_move(initiative, action):
    starts_from, _ = TRANSITIONS[action]
    if initiative["status"] not in starts_from:
        raise Conflict(f"a {initiative['status']} initiative cannot {action}; "
                       f"it can from {' or '.join(starts_from)}")


def check_completable(initiative, community, actor, membership):
    """Before the outcome is drafted in the knowledge service: may this be completed at all."""
    _require_steward(initiative, community, actor, membership, "complete it")
    require_not_archived(community)
    check_move(initiative, "complete")


def outcome_draft(initiative, outcome):
    """What the knowledge service is asked to draft of an outcome: (fields, origin)."""
    return ({"kind": outcome["kind"], "title": outcome["title"], "body": outcome["body"],
             "tags": initiative["tags"]},
            {"kind": "initiative", "id": initiative["_id"], "title": initiative["title"]})


def completion(actor, now, outcome=None, artifact=None, no_outcome=None):
    return {"kind": outcome["kind"] if outcome else None, "title": outcome["title"] if outcome else None,
            "artifact_id": artifact["id"] if artifact else None, "no_outcome": no_outcome,
            "completed_by": actor.user_id, "completed_at": now}


# who takes part

def join(initiative, community, actor, membership, now):
    """(people, events) of a member of the community joining as a contributor."""
    require_member(membership, "join its initiatives")
    _require_open(initiative, community)
    if role_of(initiative, actor.user_id):
        raise Conflict("you already take part in this initiative")
    people = [*initiative["people"], {"user_id": actor.user_id, "role": CONTRIBUTOR, "joined_at": now}]
    after = _with_people(initiative, people)
    return after, [initiative_event("initiative.member_joined", after, {
        "user_id": actor.user_id, "role": CONTRIBUTOR, "added_by": actor.user_id})]


def leave(initiative, community, actor, membership, user_id, stewards_in_waiting, now):
    """(initiative after, events) of ``user_id`` leaving: by their own choice, or removed by a
    steward. The last steward's going passes the initiative to ``stewards_in_waiting`` (the
    community's facilitators)."""
    if user_id != actor.user_id:
        _require_steward(initiative, community, actor, membership, "remove someone")
    _require_open(initiative, community)
    if role_of(initiative, user_id) is None:
        raise NotFound("no such member of the initiative")
    reason, removed_by = ("left", None) if user_id == actor.user_id else ("removed", actor.user_id)
    return without(initiative, user_id, reason, removed_by, stewards_in_waiting, now)


def without(initiative, user_id, reason, removed_by, stewards_in_waiting, now):
    """(initiative after, events) of ``user_id`` no longer taking part (also when they left the
    community): should no steward remain, the community's facilitators become its stewards."""
    people = [p for p in initiative["people"] if p["user_id"] != user_id]
    after = _with_people(initiative, people)
    events = [initiative_event("initiative.member_left", after, {
        "user_id": user_id, "reason": reason, "removed_by": removed_by})]
    if not after["stewards"] and after["status"] in OPEN:
        for heir in (u for u in stewards_in_waiting if u != user_id):
            after = _with_role(after, heir, STEWARD, now)
            events.append(initiative_event("initiative.member_joined", after, {
                "user_id": heir, "role": STEWARD, "added_by": None}))
    return after, events


def _with_role(initiative, user_id, role, now):
    people = [p for p in initiative["people"] if p["user_id"] != user_id]
    joined = next((p["joined_at"] for p in initiative["people"] if p["user_id"] == user_id), now)
    return _with_people(initiative, [*people, {"user_id": user_id, "role": role, "joined_at": joined}])


def set_role(initiative, community, actor, membership, user_id, role, now):
    """(initiative after, events) of a steward making a member of the initiative a steward or a
    contributor; an initiative keeps at least one steward."""
    _require_steward(initiative, community, actor, membership, "change roles")
    _require_open(initiative, community)
    current = role_of(initiative, user_id)
    if current is None:
        raise NotFound("no such member of the initiative: they join it first")
    if current == role:
        return initiative, []
    after = _with_role(initiative, user_id, role, now)
    if not after["stewards"]:
        raise Conflict("an initiative needs a steward: make someone else one first")
    return after, [initiative_event("initiative.member_role_changed", after, {
        "user_id": user_id, "role": role, "changed_by": actor.user_id})]


def people_changes(after):
    return {key: after[key] for key in ("people", "stewards", "members")}


# links

def link(initiative, community, actor, membership, kind, target, now):
    """(links, events) of linking an artifact or workshop (``target``: its id, title and
    community, as its service showed it to the caller) of the same community."""
    _require_taking_part(initiative, community, actor, membership, "link to it")
    _require_open(initiative, community)
    if target is None or target["community_id"] != initiative["community_id"]:
        raise Unprocessable(f"no such {kind} in this community", {"id": [f"not a {kind} of this community"]})
    if any(l["kind"] == kind and l["id"] == target["id"] for l in initiative["links"]):
        raise Conflict(f"that {kind} is linked already")
    if len(initiative["links"]) >= MAX_LINKS:
        raise Conflict(f"an initiative holds at most {MAX_LINKS} links")
    entry = {"kind": kind, "id": target["id"], "title": target["title"], "linked_by": actor.user_id, "linked_at": now}
    return [*initiative["links"], entry], [initiative_event("initiative.linked", initiative, {
        "kind": kind, "linked_id": target["id"], "linked_title": target["title"], "linked_by": actor.user_id})]


# progress notes

def post_update(initiative, community, actor, membership, body, body_html, now):
    """(update, events) of a steward or contributor posting a progress note."""
    _require_taking_part(initiative, community, actor, membership, "post updates")
    _require_open(initiative, community)
    update = {"_id": new_id(), "initiative_id": initiative["_id"], "community_id": initiative["community_id"],
              "author": actor.user_id, "body": body, "body_html": body_html, "created_at": now}
    return update, [initiative_event("initiative.update_posted", initiative, {
        "update_id": update["_id"], "author": actor.user_id})]


# milestones

def _milestone_event(short_type, initiative, milestone, **data):
    return initiative_event(short_type, initiative, {
        "milestone_id": milestone["_id"], "milestone_title": milestone["title"], "due_on": milestone["due_on"], **data})


def add_milestone(initiative, community, actor, membership, data, now):
    """(milestone, events): stewards set milestones, due today or later."""
    _require_steward(initiative, community, actor, membership, "set milestones")
    _require_open(initiative, community)
    if data["due_on"] < as_utc(now).date().isoformat():
        raise Unprocessable("a milestone is due today or later", {"due_on": ["must not be in the past"]})
    milestone = {"_id": new_id(), "initiative_id": initiative["_id"], "community_id": initiative["community_id"],
                 "title": data["title"], "due_on": data["due_on"], "done_at": None, "done_by": None,
                 "reminded": False, "created_at": now}
    return milestone, [_milestone_event("milestone.added", initiative, milestone, added_by=actor.user_id)]


def require_milestone(milestone):
    if milestone is None:
        raise NotFound("no such milestone")
    return milestone


def complete_milestone(milestone, initiative, community, actor, membership, now):
    """(changes, events): a steward or contributor marks a milestone done, once."""
    _require_taking_part(initiative, community, actor, membership, "mark milestones done")
    _require_open(initiative, community)
    if milestone["done_at"] is not None:
        raise Conflict("the milestone is done already")
    return {"done_at": now, "done_by": actor.user_id}, [
        _milestone_event("milestone.completed", initiative, milestone, done_by=actor.user_id)]


def milestone_due(milestone, initiative):
    """The reminder of a milestone due tomorrow, sent once; none for an initiative that is over."""
    if initiative is None or initiative["status"] not in OPEN:
        return {}, []
    return {"reminded": True}, [_milestone_event("milestone.due", initiative, milestone)]


def tomorrow(now):
    return (as_utc(now).date() + datetime.timedelta(days=1)).isoformat()


# decisions

def _decision_event(short_type, initiative, decision, **data):
    return initiative_event(short_type, initiative, {
        "decision_id": decision["_id"], "question": decision["question"], "closes_at": decision["closes_at"], **data})


def open_decision(initiative, community, actor, membership, data, now):
    """(decision, events): a steward asks the initiative's people to decide a question by a
    time between now and MAX_DECISION_DAYS ahead."""
    _require_steward(initiative, community, actor, membership, "open decisions")
    _require_open(initiative, community)
    closes_at = as_utc(data["closes_at"]).replace(microsecond=0)
    if closes_at <= now:
        raise Unprocessable("a decision closes in the future", {"closes_at": ["must be in the future"]})
    if closes_at > now + datetime.timedelta(days=MAX_DECISION_DAYS):
        raise Unprocessable(f"a decision closes within {MAX_DECISION_DAYS} days",
                            {"closes_at": [f"must be within {MAX_DECISION_DAYS} days"]})
    decision = {"_id": new_id(), "initiative_id": initiative["_id"], "community_id": initiative["community_id"],
                "question": data["question"], "closes_at": closes_at, "status": "open",
                "statement": None, "review_on": None, "decided_by": None, "decided_at": None,
                "closing_told": False, "review_told": False, "opened_by": actor.user_id, "opened_at": now}
    return decision, [_decision_event("decision.opened", initiative, decision, opened_by=actor.user_id)]


def require_decision(decision):
    if decision is None:
        raise NotFound("no such decision")
    return decision


def is_closed(decision, now):
    return decision["status"] != "open" or as_utc(decision["closes_at"]) <= now


def vote(decision, initiative, community, actor, membership, position, previous, now):
    """(vote, events): each steward and contributor takes one position, changeable until the
    decision closes (``previous``: their vote so far, or None)."""
    _require_taking_part(initiative, community, actor, membership, "vote")
    require_not_archived(community)
    if is_closed(decision, now):
        raise Conflict("the decision is closed: votes are final")
    before = previous["position"] if previous else None
    ballot = {"_id": pair_id(decision["_id"], actor.user_id), "decision_id": decision["_id"],
              "user_id": actor.user_id, "position": position, "at": now}
    if before == position:
        return ballot, []
    return ballot, [_decision_event("decision.voted", initiative, decision, user_id=actor.user_id,
                                    position=position, previous_position=before)]


def tally(ballots):
    counts = dict.fromkeys(POSITIONS, 0)
    for ballot in ballots:
        counts[ballot["position"]] += 1
    return counts


def present_decision(decision, ballots, user_id, now):
    mine = next((b["position"] for b in ballots if b["user_id"] == user_id), None)
    status = "closed" if decision["status"] == "open" and is_closed(decision, now) else decision["status"]
    return {**decision, "status": status, "tally": tally(ballots), "my_position": mine}


def close(decision, initiative, ballots):
    """(changes, events) of a decision whose time for votes is over."""
    return {"status": "closed"}, [_decision_event("decision.closed", initiative, decision, tally=tally(ballots))]


def closing(decision, initiative):
    """The notice that a decision closes within a day, sent once."""
    return {"closing_told": True}, [_decision_event("decision.closing", initiative, decision)]


def decide(decision, initiative, community, actor, membership, data, ballots, now):
    """(changes, events): after it closes a steward records what was decided, and when to
    review it. A decision still open in the store but past its time is closed first."""
    _require_steward(initiative, community, actor, membership, "record what was decided")
    require_not_archived(community)
    if decision["status"] == "decided":
        raise Conflict("what was decided is recorded already")
    if not is_closed(decision, now):
        raise Conflict("the decision is open until it closes; record its outcome then")
    if data["review_on"] is not None and data["review_on"] <= as_utc(now).date().isoformat():
        raise Unprocessable("a review is set for a later day", {"review_on": ["must be after today"]})
    events = close(decision, initiative, ballots)[1] if decision["status"] == "open" else []
    changes = {"status": "decided", "statement": data["statement"], "review_on": data["review_on"],
               "decided_by": actor.user_id, "decided_at": now}
    events.append(_decision_event("decision.decided", initiative, decision, statement=data["statement"],
                                  review_on=data["review_on"], decided_by=actor.user_id))
    return changes, events


def review_due(decision, initiative):
    """The stewards' reminder, on its review day, to review a decision (sent once)."""
    return {"review_told": True}, [_decision_event("decision.review_due", initiative, decision,
                                                   statement=decision["statement"], review_on=decision["review_on"])]
