"""Knowledge rules, and the documents and domain events each change makes. No I/O here.

``community`` is the service's copy of a community and ``membership`` the caller's copied
active membership, or None. ``now`` is passed in where a rule depends on the time.
"""
import difflib

from commonplace.errors import Conflict, Forbidden, NotFound, Unprocessable
from commonplace.ids import new_id
from commonplace.permissions import is_manager, require_member, require_visible
from services.knowledge.domain_events import artifact_event
from services.knowledge.rendering import render_markdown

# Drafts and artifacts in review are their author's and the community's managers' alone.
SEEN_BY_ALL = ("published", "needs_review", "archived")
CONTENT = ("title", "body", "tags", "links")


def require_artifact_visible(artifact, community, actor, membership):
    """NotFound unless ``actor`` may see ``artifact`` (and its community)."""
    require_visible(community, actor, membership, what="artifact")
    if artifact is None or not may_see(artifact, community, actor, membership):
        raise NotFound("no such artifact")


def may_see(artifact, community, actor, membership):
    return (artifact["status"] in SEEN_BY_ALL or artifact["author"] == actor.user_id
            or is_manager(community, actor, membership))


def _require_writable(community):
    if community.get("archived"):
        raise Conflict("the community is archived: its knowledge can be read, not changed")


def revision_of(artifact, author, at, summary):
    """The immutable record of ``artifact``'s current content as its revision."""
    return {"artifact_id": artifact["_id"], "number": artifact["revision"], "author": author,
            "at": at, "summary": summary, **{field: artifact[field] for field in CONTENT}}


def create(community, actor, membership, data, now):
    """(artifact, its first revision, events): members write drafts."""
    require_member(membership, "write its knowledge")
    _require_writable(community)
    artifact = {
        "_id": new_id(), "community_id": community["_id"], "organisation": community["organisation"],
        "kind": data["kind"], "title": data["title"], "body": data["body"], "tags": data["tags"],
        "links": data["links"], "review_by": data["review_by"], "status": "draft", "revision": 1,
        "author": actor.user_id, "created_at": now, "updated_at": now,
        "endorsement_count": 0, "standard": None,
    }
    event = artifact_event("artifact.created", artifact, {"created_by": actor.user_id, "tags": artifact["tags"]})
    return artifact, revision_of(artifact, actor.user_id, now, "created"), [event]


def edit(artifact, community, actor, membership, data, now):
    """(changes, the new revision, events): the author and the managers edit; an edit made
    from an older revision than the current one changes nothing (409)."""
    if not (artifact["author"] == actor.user_id or is_manager(community, actor, membership)):
        raise Forbidden("only the author and the community's owners and facilitators edit it")
    _require_writable(community)
    if artifact["status"] == "archived":
        raise Conflict("the artifact is archived")
    if data["base_revision"] != artifact["revision"]:
        raise Conflict(f"revision {artifact['revision']} came after yours: read it, then edit again",
                       {"base_revision": [f"the current revision is {artifact['revision']}"]})
    changes = {field: data[field] for field in CONTENT}
    after = {**artifact, **changes, "revision": artifact["revision"] + 1}
    event = artifact_event("artifact.revised", after, {
        "revised_by": actor.user_id, "summary": data["summary"], "tags": after["tags"]})
    return changes, revision_of(after, actor.user_id, now, data["summary"]), [event]


def listing_query(community, actor, membership, params):
    """The store query of a community's artifacts the actor may see, with the list's filters."""
    clauses = [{"community_id": community["_id"]}]
    if not is_manager(community, actor, membership):
        clauses.append({"$or": [{"status": {"$in": list(SEEN_BY_ALL)}}, {"author": actor.user_id}]})
    for field in ("kind", "status"):
        if params.get(field):
            clauses.append({field: params[field]})
    if params.get("tag"):
        clauses.append({"tags": params["tag"]})
    return {"$and": clauses}


def require_revision(revision):
    if revision is None:
        raise NotFound("no such revision")
    return revision


def diff(artifact_id, older, newer):
    """A unified diff of two revisions' Markdown (and title), as ``diff -u`` shows it."""
    if older is None or newer is None:
        raise NotFound("no such revision")
    if older["number"] > newer["number"]:
        raise Unprocessable("from must be an earlier revision than to", {"from": ["after to"]})

    def lines(revision):
        return [f"# {revision['title']}\n", "\n", *revision["body"].splitlines(keepends=True)]

    return "".join(difflib.unified_diff(
        lines(older), lines(newer), fromfile=f"{artifact_id}@{older['number']}",
        tofile=f"{artifact_id}@{newer['number']}"))


def present(artifact):
    """An artifact as callers see it: with its Markdown rendered to safe HTML."""
    return {**artifact, "body_html": render_markdown(artifact["body"])}
