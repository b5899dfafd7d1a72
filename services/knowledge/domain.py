"""Knowledge rules, and the documents and domain events each change makes. No I/O here.

``community`` is the service's copy of a community and ``membership`` the caller's copied
active membership, or None. ``now`` is passed in where a rule depends on the time.
"""
import hashlib

from commonplace.clock import isoformat
from commonplace.errors import Conflict, Forbidden, NotFound, Unprocessable
from commonplace.ids import new_id, pair_id
from commonplace.permissions import (
    is_manager, require_manager, require_member, require_not_archived, require_visible,
)
from commonplace.queries import all_of
from commonplace.rendering import rendered
from services.knowledge.domain_events import answer_event, artifact_event
from services.knowledge.diffs import unified_diff

LIVE = ("published", "needs_review")
# What anyone who may see the community may read: live knowledge, and archived knowledge that
# was published. Drafts and artifacts in review, archived or not, are their author's and the
# community's managers' alone. ``seen_by_all`` is the same rule for one artifact.
SEEN_BY_ALL = [{"status": {"$in": list(LIVE)}}, {"status": "archived", "published_at": {"$ne": None}}]


def seen_by_all(artifact):
    """Whether everyone who may see the community may read ``artifact`` (``SEEN_BY_ALL``)."""
    return artifact["status"] in LIVE or (artifact["status"] == "archived"
                                          and artifact.get("published_at") is not None)
CONTENT = ("title", "body", "tags", "links")


def require_artifact_visible(artifact, community, actor, membership):
    """NotFound unless ``actor`` may see ``artifact`` (and its community)."""
    require_visible(community, actor, membership, what="artifact")
    if artifact is None or not may_see(artifact, community, actor, membership):
        raise NotFound("no such artifact")


def may_see(artifact, community, actor, membership):
    return (seen_by_all(artifact) or is_author(artifact, actor, membership)
            or is_manager(community, actor, membership))


def is_author(artifact, actor, membership):
    """An author acts on their work while a member. Once they leave (or are removed) it is
    the community's: their published work stays, credited to them, and their drafts pass to
    the owners and facilitators, who may edit, publish and archive every artifact anyway."""
    return artifact["author"] == actor.user_id and membership is not None



def revision_of(artifact, author, at, summary):
    """The immutable record of ``artifact``'s current content as its revision."""
    return {"artifact_id": artifact["_id"], "number": artifact["revision"], "author": author,
            "at": at, "summary": summary, **{field: artifact[field] for field in CONTENT}}


def origin_id(origin):
    """The id of the one artifact drafted from ``origin`` (``{"kind", "id"}``, e.g. an
    initiative's outcome): asked again, the same draft, never a second."""
    return hashlib.sha256(f"{origin['kind']}:{origin['id']}".encode()).hexdigest()[:24]


def create(community, actor, membership, data, now, origin=None):
    """(artifact, its first revision, events): members write drafts, which the community's
    review publishes; a question is live when asked (published, and ``question.asked``), so that
    it can be answered at once: rapid help does not wait for a review. A draft made of what
    another part of the platform produced (``origin``) keeps where it came from."""
    require_member(membership, "write its knowledge")
    require_not_archived(community)
    asked = data["kind"] == "question"
    artifact = {
        "_id": origin_id(origin) if origin else new_id(), "origin": origin, "community_id": community["_id"], "organisation": community["organisation"],
        "kind": data["kind"], "title": data["title"], "body": data["body"], "body_html": rendered(data["body"]),
        "tags": data["tags"], "links": data["links"], "review_by": data["review_by"],
        "status": "published" if asked else "draft", "published_at": now if asked else None, "revision": 1,
        "author": actor.user_id, "created_at": now, "updated_at": now, "standard": None,
    }
    events = [artifact_event("artifact.created", artifact, {"created_by": actor.user_id, "tags": artifact["tags"]})]
    if asked:
        events += [artifact_event("artifact.published", artifact, {"published_by": actor.user_id}),
                   artifact_event("question.asked", artifact, {"tags": artifact["tags"]})]
    return artifact, revision_of(artifact, actor.user_id, now, "created"), events


def _require_author_or_manager(artifact, community, actor, membership, doing="edit it"):
    if not (is_author(artifact, actor, membership) or is_manager(community, actor, membership)):
        raise Forbidden(f"only the author and the community's owners and facilitators {doing}")


def edit(artifact, community, actor, membership, data, now):
    """(changes, the new revision, events): the author and the managers edit; an edit made
    from an older revision than the current one changes nothing (409). A draft or an artifact
    in review goes (back) to draft: an approval was of the revision it read. A published
    artifact stays published, its new revision live, as a wiki page does."""
    _require_author_or_manager(artifact, community, actor, membership)
    require_not_archived(community)
    if artifact["status"] == "archived":
        raise Conflict("the artifact is archived")
    if data["base_revision"] != artifact["revision"]:
        raise Conflict(f"revision {artifact['revision']} came after yours: read it, then edit again",
                       {"base_revision": [f"the current revision is {artifact['revision']}"]})
    changes = {**{field: data[field] for field in CONTENT}, "body_html": rendered(data["body"])}
    if artifact["status"] == "in_review":
        changes["status"] = "draft"
    after = {**artifact, **changes, "revision": artifact["revision"] + 1}
    event = artifact_event("artifact.revised", after, {
        "revised_by": actor.user_id, "summary": data["summary"], "tags": after["tags"], "major": data["major"]})
    return changes, revision_of(after, actor.user_id, now, data["summary"]), [event]


# The lifecycle: draft -> in_review -> published -> archived, and published <-> needs_review.
# Each change returns (changes, events) and is stored on the condition that the status it
# was decided from still holds.

def _transition(artifact, status, short_type, data, **changes):
    after = {**artifact, "status": status, **changes}
    return {"status": status, **changes}, [artifact_event(short_type, after, data)]


def submit(artifact, community, actor, membership):
    """The author (or a manager) asks for a review of a draft."""
    _require_author_or_manager(artifact, community, actor, membership, "submit it")
    require_not_archived(community)
    if artifact["status"] != "draft":
        raise Conflict(f"only a draft is submitted for review; this one is {artifact['status']}")
    return _transition(artifact, "in_review", "artifact.submitted", {"submitted_by": actor.user_id})


def review(artifact, community, actor, membership, decision, comment, now):
    """Owners and facilitators review an artifact in review; never their own work. An
    approval is of the current revision; a request for changes sends it back to draft."""
    if not is_manager(community, actor, membership):
        raise Forbidden("only the community's owners and facilitators review")
    if artifact["author"] == actor.user_id:
        raise Forbidden("an author does not approve their own work")
    require_not_archived(community)
    if artifact["status"] != "in_review":
        raise Conflict(f"only an artifact in review is reviewed; this one is {artifact['status']}")
    data = {"reviewed_by": actor.user_id, "comment": comment}
    if decision == "approve":
        approval = {"revision": artifact["revision"], "by": actor.user_id, "at": now, "comment": comment}
        return _transition(artifact, "in_review", "artifact.approved", data, approval=approval)
    return _transition(artifact, "draft", "artifact.changes_requested", data, approval=None)


def publish(artifact, community, actor, membership, now):
    """The author or a manager publishes; where the community requires it (its
    ``knowledge_review``, "required" unless set to "none"), only a revision approved as it is."""
    _require_author_or_manager(artifact, community, actor, membership, "publish it")
    require_not_archived(community)
    if artifact["status"] not in ("draft", "in_review"):
        raise Conflict(f"the artifact is {artifact['status']}, not a draft or in review")
    approval = artifact.get("approval")
    if community.get("knowledge_review", "required") == "required" and not (
            approval and approval["revision"] == artifact["revision"]):
        raise Conflict("this community publishes knowledge once an owner or facilitator has "
                       "approved it: submit it for review")
    changes, events = _transition(artifact, "published", "artifact.published",
                                  {"published_by": actor.user_id}, published_at=now)
    if artifact["kind"] == "question":
        events.append(artifact_event("question.asked", {**artifact, **changes}, {"tags": artifact["tags"]}))
    return changes, events


def archive(artifact, community, actor, membership):
    """The author or a manager archives: kept and readable, no longer current. A question is
    the community's once asked (others answered it): its managers archive it."""
    if artifact["kind"] == "question":
        if not is_manager(community, actor, membership):
            raise Forbidden("only the community's owners and facilitators archive a question")
    else:
        _require_author_or_manager(artifact, community, actor, membership, "archive it")
    require_not_archived(community)
    if artifact["status"] == "archived":
        raise Conflict("the artifact is archived already")
    return _transition(artifact, "archived", "artifact.archived", {"archived_by": actor.user_id})


def verify(artifact, community, actor, membership, review_by, now):
    """Someone (the author or a manager) confirms that a published artifact still holds, or
    one that needs review does again: published, to be checked again at ``review_by``."""
    _require_author_or_manager(artifact, community, actor, membership, "verify it")
    require_not_archived(community)
    if artifact["status"] not in ("published", "needs_review"):
        raise Conflict(f"only published knowledge is verified; this is {artifact['status']}")
    if review_by is not None and review_by <= now:
        raise Unprocessable("the next review must be in the future", {"review_by": ["must be in the future"]})
    return _transition(artifact, "published", "artifact.verified", {
        "verified_by": actor.user_id, "review_by": review_by and isoformat(review_by)}, review_by=review_by)


def gone_stale(artifact):
    """A published artifact whose ``review_by`` has passed needs review."""
    return _transition(artifact, "needs_review", "artifact.needs_review",
                       {"review_by": isoformat(artifact["review_by"])})


def listing_query(community, actor, membership, params):
    """The store query of a community's artifacts the actor may see, with the list's filters."""
    clauses = [{"community_id": community["_id"]}]
    if not is_manager(community, actor, membership):
        own = [{"author": actor.user_id}] if membership else []
        clauses.append({"$or": [*SEEN_BY_ALL, *own]})
    for field in ("kind", "status"):
        if params.get(field):
            clauses.append({field: params[field]})
    if params.get("tag"):
        clauses.append({"tags": params["tag"]})
    if params.get("standard"):
        clauses.append({"standard.topic": {"$ne": None}, "standard.superseded_by": None})
    return all_of(*clauses)


def require_revision(revision):
    if revision is None:
        raise NotFound("no such revision")
    return revision


def diff(artifact_id, older, newer, budget_seconds):
    """A unified diff of two revisions' Markdown (and title), as ``diff -u`` shows it; coarser
    (the changed middle as one hunk) where an exact one would take over ``budget_seconds``."""
    if older is None or newer is None:
        raise NotFound("no such revision")
    if older["number"] > newer["number"]:
        raise Unprocessable("from must be an earlier revision than to", {"from": ["after to"]})

    def lines(revision):
        return [f"# {revision['title']}\n", "\n", *revision["body"].splitlines(keepends=True)]

    return unified_diff(lines(older), lines(newer), f"{artifact_id}@{older['number']}",
                        f"{artifact_id}@{newer['number']}", budget_seconds)


def present(artifact, endorsement_count):
    """An artifact as callers see it: with its endorsements counted."""
    return {**artifact, "endorsement_count": endorsement_count}


def _require_live(artifact, doing):
    if artifact["status"] not in LIVE:
        raise Conflict(f"only published knowledge is {doing}; this is {artifact['status']}")


# Endorsements: a member's "this works", once each, withdrawable.

def endorsement_id(artifact, actor):
    return pair_id(artifact["_id"], actor.user_id)


def endorse(artifact, community, actor, membership, now):
    """(the endorsement, events): members endorse published knowledge."""
    require_member(membership, "endorse its knowledge")
    require_not_archived(community)
    _require_live(artifact, "endorsed")
    endorsement = {"artifact_id": artifact["_id"], "user_id": actor.user_id, "at": now, "active": True}
    return endorsement, [artifact_event("artifact.endorsed", artifact, {"endorsed_by": actor.user_id})]


def withdraw_endorsement(artifact, community, actor):
    """The events of withdrawing ``actor``'s endorsement (if they had one)."""
    require_not_archived(community)
    return [artifact_event("artifact.endorsement_withdrawn", artifact, {"withdrawn_by": actor.user_id})]


# Standards: one artifact per community and topic is the standard practice.

def topic_key(topic):
    """Topics are one standard each however they are capitalised or spaced."""
    return " ".join(topic.casefold().split())


def standardise(artifact, community, actor, membership, topic, supersedes, current):
    """Whether to claim the topic, and the standard ``artifact`` and the one it supersedes get.

    ``current`` is the topic's standard as stored (``{"artifact_id", "topic"}``) or None.
    Returns ``(claim_needed, standard, events)``: the claim is needed unless ``artifact`` holds
    the topic already (a retry, which completes what an interrupted one began)."""
    require_manager(community, actor, membership)
    require_not_archived(community)
    _require_live(artifact, "made a standard")
    held = artifact.get("standard")
    if held and held.get("superseded_by") is None and topic_key(held["topic"]) != topic_key(topic):
        raise Conflict(f"the artifact is the standard for {held['topic']!r} already")
    previous = current["artifact_id"] if current else None
    if previous == artifact["_id"]:
        claim_needed = False
        supersedes = held.get("supersedes") if held else supersedes
    elif previous is None and supersedes:
        raise Conflict(f"there is no standard for {topic!r} to supersede",
                       {"supersedes": ["not the standard for this topic"]})
    elif previous is not None and supersedes != previous:
        raise Conflict(f"the standard for {topic!r} is {previous}: name it in supersedes to replace it",
                       {"supersedes": [f"must be {previous}"]})
    else:
        claim_needed = True
    standard = {"topic": topic, "supersedes": supersedes, "superseded_by": None}
    events = [artifact_event("artifact.standardised", artifact, {
        "topic": topic, "supersedes": supersedes, "standardised_by": actor.user_id})]
    return claim_needed, standard, events


def superseded(old, topic, by, actor):
    """The standard ``old`` keeps once ``by`` supersedes it, and its event."""
    standard = {**(old.get("standard") or {"topic": topic, "supersedes": None}), "superseded_by": by}
    return standard, [artifact_event("artifact.superseded", old, {
        "topic": topic, "superseded_by": by, "superseded_by_user": actor.user_id})]


# Questions and answers.

def _require_question(artifact):
    if artifact["kind"] != "question":
        raise Conflict(f"answers go to questions; this artifact is a {artifact['kind']}")


def answer(question, community, actor, membership, body, now):
    """(the answer, events): members answer published questions."""
    _require_question(question)
    require_member(membership, "answer its questions")
    require_not_archived(community)
    _require_live(question, "answered")
    posted = {"_id": new_id(), "question_id": question["_id"], "community_id": question["community_id"],
              "organisation": question["organisation"], "body": body, "body_html": rendered(body),
              "author": actor.user_id,
              "created_at": now, "score": 0, "accepted": False}
    return posted, [answer_event("answer.posted", posted, question, {})]


def vote(answer_, question, community, actor, value, previous):
    """(the score's change, events) of ``actor``'s vote ``value`` (+1 or -1) on an answer,
    where ``previous`` is their vote so far (or None). Voting the same way again changes
    nothing."""
    if answer_["author"] == actor.user_id:
        raise Forbidden("nobody votes on their own answer")
    require_not_archived(community)
    if previous == value:
        return 0, []
    delta = value - (previous or 0)
    return delta, [answer_event("answer.voted", answer_, question, {
        "voted_by": actor.user_id, "value": value, "score": answer_["score"] + delta})]


def accept(answer_, question, community, actor, membership, now):
    """(the question's changes, events): the asker or a manager accepts one answer; accepting
    another later moves the acceptance. Accepting the accepted one changes nothing."""
    if not (is_author(question, actor, membership) or is_manager(community, actor, membership)):
        raise Forbidden("only the asker and the community's owners and facilitators accept an answer")
    require_not_archived(community)
    if question.get("accepted_answer") == answer_["_id"]:
        return {}, []
    accepted = {**answer_, "accepted": True}
    return {"accepted_answer": answer_["_id"]}, [answer_event("answer.accepted", accepted, question, {
        "accepted_by": actor.user_id, "previously_accepted": question.get("accepted_answer")})]


def present_answer(answer_, question):
    """An answer as callers see it: accepted if its question says so."""
    return {**answer_, "accepted": question.get("accepted_answer") == answer_["_id"]}


def require_answer(answer_):
    if answer_ is None:
        raise NotFound("no such answer")
    return answer_
