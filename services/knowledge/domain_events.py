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
