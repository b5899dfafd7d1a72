"""The catalogue of the knowledge service's domain events (``data`` of each), and how one is
made."""
from functools import partial

from marshmallow import Schema, fields

from commonplace.envelope import event_type, make_event

SERVICE = "knowledge"
PREFIX = f"commonplace.{SERVICE}."

new_event = partial(make_event, SERVICE)


def artifact_event(short_type, artifact, data, subject=None):
    """A new event about ``artifact`` (its community and organisation go in the envelope)."""
    return new_event(short_type, subject=subject or f"artifacts/{artifact['_id']}",
                     data={**artifact_facts(artifact), **data},
                     community=artifact["community_id"], organisation=artifact["organisation"])


def artifact_facts(artifact):
    """The part of an artifact every artifact event carries."""
    return {"artifact_id": artifact["_id"], "community_id": artifact["community_id"],
            "kind": artifact["kind"], "title": artifact["title"], "status": artifact["status"],
            "revision": artifact["revision"], "author": artifact["author"]}


class _Artifact(Schema):
    artifact_id = fields.String(required=True)
    community_id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    revision = fields.Integer(required=True)
    author = fields.String(required=True)


@event_type(PREFIX + "artifact.created", "A member wrote a new artifact (a draft, revision 1).")
class ArtifactCreated(_Artifact):
    created_by = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)


@event_type(PREFIX + "artifact.revised", "An artifact was edited: a new revision.")
class ArtifactRevised(_Artifact):
    revised_by = fields.String(required=True)
    summary = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)


@event_type(PREFIX + "artifact.submitted", "The author asked for a review before publishing.")
class ArtifactSubmitted(_Artifact):
    submitted_by = fields.String(required=True)


class _Review(_Artifact):
    reviewed_by = fields.String(required=True)
    comment = fields.String(required=True)


@event_type(PREFIX + "artifact.approved", "An owner or facilitator approved the artifact's revision.")
class ArtifactApproved(_Review):
    pass


@event_type(PREFIX + "artifact.changes_requested", "An owner or facilitator asked for changes: back to draft.")
class ArtifactChangesRequested(_Review):
    pass


@event_type(PREFIX + "artifact.published", "The artifact is published to everyone who may see the community.")
class ArtifactPublished(_Artifact):
    published_by = fields.String(required=True)


@event_type(PREFIX + "artifact.needs_review", "A published artifact passed its review_by date: it needs verifying.")
class ArtifactNeedsReview(_Artifact):
    review_by = fields.String(required=True)


@event_type(PREFIX + "artifact.verified", "Someone confirmed the artifact still holds (published again).")
class ArtifactVerified(_Artifact):
    verified_by = fields.String(required=True)
    review_by = fields.String(required=True, allow_none=True)


@event_type(PREFIX + "artifact.archived", "The artifact was archived: kept, readable, no longer current.")
class ArtifactArchived(_Artifact):
    archived_by = fields.String(required=True)
