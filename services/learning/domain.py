"""Learning pathway rules — what a pathway asks, what counts as done, when it is complete and
what that earns — and the documents and domain events each change makes. No I/O here.

A learner's progress is not kept step by step by hand: it follows from their **achievements**,
what the platform saw them do, whether or not they were enrolled then (a workshop attended, an
answer with a tag accepted, an artifact marked read). So steps done before enrolment count, and
a pathway changed later counts what is already done. A step's id names its target
(``artifact-<id>``, ``workshop-<id>``, ``answer-<tag>``), the same however the pathway is edited.
"""
import datetime

from commonplace.errors import Conflict, Forbidden, NotFound, Unprocessable
from commonplace.ids import new_id, pair_id
from commonplace.permissions import is_manager, require_manager, require_member, require_not_archived
from services.learning.domain_events import pathway_event

READ, ATTENDED, ACCEPTED = "artifact_read", "workshop_attended", "answer_accepted"
# step kind -> (its target's field, the achievement that does it)
STEP_KINDS = {"artifact": ("artifact_id", READ), "workshop": ("workshop_id", ATTENDED), "answer": ("tag", ACCEPTED)}
EXPIRY_NOTICES = (30, 7)  # days before a completion expires that its learner is told


def step_id(step):
    field, _ = STEP_KINDS[step["kind"]]
    return f"{step['kind']}-{step[field]}"


def achievement_key(step):
    """(kind, target) of the achievement that does ``step``."""
    field, kind = STEP_KINDS[step["kind"]]
    return kind, step[field]


def achievement(user_id, kind, target, at, community_id=None):
    return {"_id": f"{user_id}|{kind}|{target}", "user_id": user_id, "kind": kind, "target": target,
            "community_id": community_id, "at": at}


def steps_of(pathway):
    return [step for group in pathway["groups"] for step in group["steps"]]


# pathways

def checked_groups(groups, community_id, targets):
    """The groups as stored: each step with its id and title, from ``targets`` (step id ->
    what its service showed the author: {"title", "community_id"}; absent for none seen).
    Refuses (422) a rule asking for more steps than its group has, a step twice, and one of
    another community or not found."""
    seen, stored = set(), []
    for number, group in enumerate(groups, 1):
        if group["rule"] != "all" and group["rule"]["at_least"] > len(group["steps"]):
            raise Unprocessable(f"group {number} asks for more steps than it has",
                                {"groups": [f"group {number}: at_least is more than its {len(group['steps'])} steps"]})
        steps = []
        for step in group["steps"]:
            sid = step_id(step)
            if sid in seen:
                raise Unprocessable(f"{sid} is a step twice", {"groups": [f"group {number}: {sid} is a step already"]})
            seen.add(sid)
            target = targets.get(sid) if (targets.get(sid) or {}).get("community_id") == community_id else None
            title = f"#{step['tag']}" if step["kind"] == "answer" else (target or {}).get("title")
            if title is None:
                raise Unprocessable(f"no such {step['kind']} in this community",
                                    {"groups": [f"group {number}: no {step['kind']} {step[STEP_KINDS[step['kind']][0]]} "
                                                f"in this community"]})
            steps.append({**step, "id": sid, "title": title})
        stored.append({"title": group["title"], "rule": group["rule"], "steps": steps})
    return stored


def targets_to_check(groups):
    """[(step id, kind, target id)] of the artifact and workshop steps: asked of their services."""
    return [(step_id(s), s["kind"], s[STEP_KINDS[s["kind"]][0]]) for g in groups for s in g["steps"]
            if s["kind"] != "answer"]


def create(community, actor, membership, data, groups, now):
    """(pathway, events): the community's owners and facilitators make pathways."""
    require_manager(community, actor, membership)
    require_not_archived(community)
    pathway = {"_id": new_id(), "community_id": community["_id"], "organisation": community["organisation"],
               "domain": community.get("domain"), "title": data["title"], "description": data["description"],
               "credits": data["credits"], "valid_for_days": data["valid_for_days"], "groups": groups,
               "enrolment_count": 0, "created_by": actor.user_id, "created_at": now, "updated_at": now, "sequence": 0}
    return pathway, [pathway_event("pathway.created", pathway, {
        "credits": pathway["credits"], "steps": len(steps_of(pathway)), "created_by": actor.user_id})]


def check_manager(community, actor, membership):
    require_manager(community, actor, membership)
    require_not_archived(community)


def change(pathway, actor, data):
    """(changes, events) of the managers changing a pathway (checked by ``check_manager``)."""
    changed = sorted(key for key, value in data.items() if pathway.get(key) != value)
    return data, [pathway_event("pathway.updated", {**pathway, **data}, {"changed": changed, "updated_by": actor.user_id})]


def present(pathway, enrolment):
    return {**pathway, "my_status": enrolment["status"] if enrolment else None}


# enrolment

def enrol(pathway, community, actor, membership, enrolment, completion, now):
    """(enrolment, events): members enrol, once (again after leaving, or after their completion
    expired)."""
    require_member(membership, "enrol on its pathways")
    require_not_archived(community)
    if enrolment and enrolment["status"] == "in_progress":
        raise Conflict("you are enrolled already")
    if enrolment and enrolment["status"] == "completed" and not is_expired(completion, now):
        raise Conflict("you completed this pathway; enrol again once your completion expires")
    record = {"_id": pair_id(pathway["_id"], actor.user_id), "pathway_id": pathway["_id"], "user_id": actor.user_id,
              "community_id": pathway["community_id"], "status": "in_progress", "done": [],
              "enrolled_at": now, "completed_at": None, "sequence": (enrolment or {}).get("sequence", 0) + 1}
    return record, [pathway_event("enrolment.started", pathway, {"user_id": actor.user_id})]


def withdraw(pathway, enrolment, user_id):
    """(changes, events) of ``user_id`` leaving a pathway they are working on."""
    if enrolment is None or enrolment["status"] != "in_progress":
        raise NotFound("you are not enrolled on this pathway")
    return {"status": "withdrawn"}, [pathway_event("enrolment.withdrawn", pathway, {"user_id": user_id})]


def is_expired(completion, now):
    return bool(completion and completion["expires_at"] and completion["expires_at"] <= now)


# progress

def progress(pathway, achieved):
    """Where a learner stands: each group with its done steps and whether its rule holds, the
    first group not done marked current; ``achieved`` is the set of (kind, target) they did."""
    groups, current_found = [], False
    for group in pathway["groups"]:
        done = [s["id"] for s in group["steps"] if achievement_key(s) in achieved]
        needed = len(group["steps"]) if group["rule"] == "all" else group["rule"]["at_least"]
        is_done = len(done) >= needed
        groups.append({**group, "done": is_done, "current": not is_done and not current_found, "done_steps": done})
        current_found = current_found or not is_done
    return {"groups": groups, "complete": all(g["done"] for g in groups),
            "steps_done": sum(len(g["done_steps"]) for g in groups), "steps_total": len(steps_of(pathway))}


def advance(pathway, enrolment, completion, achieved, now):
    """(enrolment changes, their events, completion to keep or None, its events) of an
    in-progress learner's achievements as they are now: each step newly done or undone and, the
    pathway complete, its completion — with its credits the first time, renewed (no new
    credits) once an earlier one expired, and left as it is when it still holds (a completion
    kept before a crash kept its enrolment from saying so)."""
    if enrolment["status"] != "in_progress":
        return {}, [], None, []
    standing = progress(pathway, achieved)
    done = [sid for g in standing["groups"] for sid in g["done_steps"]]
    titles = {s["id"]: s["title"] for s in steps_of(pathway)}
    user = {"user_id": enrolment["user_id"]}
    events = [pathway_event("step.done", pathway, {**user, "step_id": sid, "step_title": titles[sid]})
              for sid in done if sid not in enrolment["done"]]
    events += [pathway_event("step.reopened", pathway, {**user, "step_id": sid, "step_title": titles[sid]})
               for sid in enrolment["done"] if sid not in done and sid in titles]
    changes = {"done": done}
    if not standing["complete"]:
        return (changes, events, None, []) if done != enrolment["done"] else ({}, [], None, [])
    changes.update(status="completed", completed_at=now)
    if completion is not None and not is_expired(completion, now):
        return changes, events, None, []
    expires_at = now + datetime.timedelta(days=pathway["valid_for_days"]) if pathway["valid_for_days"] else None
    if completion is None:
        kept = {"_id": enrolment["_id"], "pathway_id": pathway["_id"], "user_id": enrolment["user_id"],
                "community_id": pathway["community_id"], "domain": pathway.get("domain"), "title": pathway["title"],
                "credits": pathway["credits"], "completed_at": now, "expires_at": expires_at, "told": []}
        return changes, events, kept, [pathway_event("completion.awarded", pathway, {
            **user, "credits": pathway["credits"], "domain": pathway.get("domain"),
            "completed_at": now, "expires_at": expires_at})]
    kept = {**completion, "completed_at": now, "expires_at": expires_at, "told": []}
    return changes, events, kept, [pathway_event("completion.renewed", pathway, {
        **user, "completed_at": now, "expires_at": expires_at})]


def require_pathway(pathway):
    if pathway is None:
        raise NotFound("no such pathway")
    return pathway


def step_of(pathway, sid):
    step = next((s for s in steps_of(pathway) if s["id"] == sid), None)
    if step is None:
        raise NotFound("no such step")
    return step


def mark_read(pathway, community, actor, membership, enrolment, step, now):
    """The achievement of a learner marking an artifact step read; the other kinds are done by
    what the platform sees (attendance, an accepted answer), not by saying so."""
    require_member(membership, "learn on its pathways")
    if enrolment is None or enrolment["status"] == "withdrawn":
        raise Forbidden("enrol on the pathway first")
    if step["kind"] != "artifact":
        raise Conflict({"workshop": "a workshop step is done when attendance records you as attended",
                        "answer": "an answer step is done when an answer of yours with its tag is accepted"}[step["kind"]])
    return achievement(actor.user_id, READ, step["artifact_id"], now, pathway["community_id"])


def require_enrolled(enrolment):
    """An enrolment under way or completed; NotFound for none, or one withdrawn."""
    if enrolment is None or enrolment["status"] == "withdrawn":
        raise NotFound("not enrolled on this pathway")
    return enrolment


def summaries(enrolments, pathways, completions, achieved):
    """The caller's enrolments as their list shows them: each with its pathway's title, the
    steps done of all, and the completion's expiry (``completions``: pathway id -> completion)."""
    shown = []
    for enrolment in enrolments:
        pathway = pathways.get(enrolment["pathway_id"])
        if pathway is not None:
            standing = progress(pathway, achieved)
            shown.append({**enrolment, "title": pathway["title"], "steps_done": standing["steps_done"],
                          "steps_total": standing["steps_total"],
                          "expires_at": (completions.get(pathway["_id"]) or {}).get("expires_at")})
    return shown


def touches(pathway, key):
    """Whether an achievement (``key``: its kind and target) does a step of ``pathway``; any
    does, with no key."""
    return key is None or key in map(achievement_key, steps_of(pathway))


def attendance(data, now):
    """(achievement to keep or None, (kind, target) to forget or None) of attendance recorded:
    attended does a workshop step; absent after all undoes it, for what is not yet complete."""
    if data["status"] == "attended":
        return achievement(data["user_id"], ATTENDED, data["workshop_id"], now, data["community_id"]), None
    return None, (ATTENDED, data["workshop_id"])


def accepted(data, now):
    """The achievements of an accepted answer: one for each tag of its question."""
    return [achievement(data["answer_author"], ACCEPTED, tag, now, data["community_id"])
            for tag in data.get("question_tags") or ()]


def reread(data):
    """The artifact whose reads a revision undoes (a major one), or None."""
    return data["artifact_id"] if data.get("major") else None


def whose_progress(community, actor, membership, user):
    """Whose progress the caller may read: their own, or (managers) anyone's."""
    if user and user != actor.user_id:
        if not is_manager(community, actor, membership):
            raise Forbidden("only the community's owners and facilitators see others' progress")
        return user
    return actor.user_id


def expiry_notice(completion, pathway, now):
    """(the days notice due now, its event) for a completion whose expiry is within a notice
    not yet given; (None, None) otherwise."""
    if not completion["expires_at"] or completion["expires_at"] <= now:
        return None, None
    left = completion["expires_at"] - now
    for days in EXPIRY_NOTICES:
        if left <= datetime.timedelta(days=days) and days not in completion["told"]:
            due = [d for d in EXPIRY_NOTICES if left <= datetime.timedelta(days=d)]
            return due, pathway_event("completion.expiring", pathway, {
                "user_id": completion["user_id"], "expires_at": completion["expires_at"],
                "days_left": max(0, left.days)})
    return None, None
