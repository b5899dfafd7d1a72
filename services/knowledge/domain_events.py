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


def answer_event(short_type, answer, question, data):
    """A new event about ``answer`` to ``question``: who asked is in it, so the asker can be told."""
    return new_event(short_type, subject=f"artifacts/{question['_id']}/answers/{answer['_id']}",
                     data={"answer_id": answer["_id"], "question_id": question["_id"],
                           "community_id": question["community_id"], "question_title": question["title"],
                           "asked_by": question["author"], "answer_author": answer["author"],
                           "accepted": answer["accepted"], **data},
                     community=question["community_id"], organisation=question["organisation"])


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


@event_type(PREFIX + "artifact.endorsed", "A member endorsed a published artifact: it works for them.")
class ArtifactEndorsed(_Artifact):
    endorsed_by = fields.String(required=True)


@event_type(PREFIX + "artifact.endorsement_withdrawn", "A member withdrew their endorsement.")
class ArtifactEndorsementWithdrawn(_Artifact):
    withdrawn_by = fields.String(required=True)


@event_type(PREFIX + "artifact.standardised",
            "An owner or facilitator made the artifact the community's standard for a topic.")
class ArtifactStandardised(_Artifact):
    topic = fields.String(required=True)
    supersedes = fields.String(required=True, allow_none=True,
                               metadata={"description": "the artifact that was the standard before"})
    standardised_by = fields.String(required=True)


@event_type(PREFIX + "artifact.superseded", "Another artifact became the standard for the artifact's topic.")
class ArtifactSuperseded(_Artifact):
    topic = fields.String(required=True)
    superseded_by = fields.String(required=True)
    superseded_by_user = fields.String(required=True)


@event_type(PREFIX + "question.asked", "A question was published for the community to answer.")
class QuestionAsked(_Artifact):
    tags = fields.List(fields.String(), required=True)


class _Answer(Schema):
    answer_id = fields.String(required=True)
    question_id = fields.String(required=True)
    community_id = fields.String(required=True)
    question_title = fields.String(required=True)
    asked_by = fields.String(required=True)
    answer_author = fields.String(required=True)
    accepted = fields.Boolean(required=True)


@event_type(PREFIX + "answer.posted", "A member answered a question.")
class AnswerPosted(_Answer):
    pass


@event_type(PREFIX + "answer.voted", "Someone voted an answer up (+1) or down (-1), or changed their vote.")
class AnswerVoted(_Answer):
    voted_by = fields.String(required=True)
    value = fields.Integer(required=True)
    score = fields.Integer(required=True, metadata={"description": "the answer's score after the vote"})


@event_type(PREFIX + "answer.accepted", "The asker (or an owner or facilitator) accepted an answer.")
class AnswerAccepted(_Answer):
    accepted_by = fields.String(required=True)
    previously_accepted = fields.String(required=True, allow_none=True)
