"""The catalogue of the knowledge service's domain events (``data`` of each), and how one is
made. An artifact event is made of the artifact document (its schema says where each field
comes from) with what the change adds."""
from marshmallow import Schema, fields

from commonplace.envelope import EventCatalogue, EventTime

events = EventCatalogue("knowledge")
new_event = events.new


def artifact_event(short_type, artifact, data, subject=None):
    """A new event about ``artifact`` (its community and organisation go in the envelope)."""
    return new_event(short_type, subject=subject or f"artifacts/{artifact['_id']}", data={**artifact, **data},
                     community=artifact["community_id"], organisation=artifact["organisation"])


def answer_event(short_type, answer, question, data):
    """A new event about ``answer`` to ``question``: who asked is in it, so the asker can be told."""
    return new_event(short_type, subject=f"artifacts/{question['_id']}/answers/{answer['_id']}",
                     data={"answer_id": answer["_id"], "question_id": question["_id"],
                           "community_id": question["community_id"], "question_title": question["title"],
                           "asked_by": question["author"], "answer_author": answer["author"],
                           "accepted": answer["accepted"], "question_tags": question.get("tags") or [], **data},
                     community=question["community_id"], organisation=question["organisation"])


class _Artifact(Schema):
    """Made of an artifact document."""
    artifact_id = fields.String(required=True, attribute="_id")
    community_id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    revision = fields.Integer(required=True)
    author = fields.String(required=True)
    tags = fields.List(fields.String(), required=True, dump_default=list)


@events.type("artifact.created", "A member wrote a new artifact (a draft, revision 1).")
class ArtifactCreated(_Artifact):
    created_by = fields.String(required=True)


@events.type("artifact.revised", "An artifact was edited: a new revision.")
class ArtifactRevised(_Artifact):
    revised_by = fields.String(required=True)
    summary = fields.String(required=True)
    major = fields.Boolean(required=True, metadata={"description": "its author says readers should read it again"})


@events.type("artifact.submitted", "The author asked for a review before publishing.")
class ArtifactSubmitted(_Artifact):
    submitted_by = fields.String(required=True)


class _Review(_Artifact):
    reviewed_by = fields.String(required=True)
    comment = fields.String(required=True)


@events.type("artifact.approved", "An owner or facilitator approved the artifact's revision.")
class ArtifactApproved(_Review):
    pass


@events.type("artifact.changes_requested", "An owner or facilitator asked for changes: back to draft.")
class ArtifactChangesRequested(_Review):
    pass


@events.type("artifact.published", "The artifact is published to everyone who may see the community.")
class ArtifactPublished(_Artifact):
    published_by = fields.String(required=True)


@events.type("artifact.needs_review", "A published artifact passed its review_by date: it needs verifying.")
class ArtifactNeedsReview(_Artifact):
    review_by = EventTime(required=True)


@events.type("artifact.verified", "Someone confirmed the artifact still holds (published again).")
class ArtifactVerified(_Artifact):
    verified_by = fields.String(required=True)
    review_by = EventTime(required=True, allow_none=True)


@events.type("artifact.archived", "The artifact was archived: kept, readable, no longer current.")
class ArtifactArchived(_Artifact):
    archived_by = fields.String(required=True)


@events.type("artifact.endorsed", "A member endorsed a published artifact: it works for them.")
class ArtifactEndorsed(_Artifact):
    endorsed_by = fields.String(required=True)


@events.type("artifact.endorsement_withdrawn", "A member withdrew their endorsement.")
class ArtifactEndorsementWithdrawn(_Artifact):
    withdrawn_by = fields.String(required=True)


@events.type("artifact.standardised",
            "An owner or facilitator made the artifact the community's standard for a topic.")
class ArtifactStandardised(_Artifact):
    topic = fields.String(required=True)
    supersedes = fields.String(required=True, allow_none=True,
                               metadata={"description": "the artifact that was the standard before"})
    standardised_by = fields.String(required=True)


@events.type("artifact.superseded", "Another artifact became the standard for the artifact's topic.")
class ArtifactSuperseded(_Artifact):
    topic = fields.String(required=True)
    superseded_by = fields.String(required=True)
    superseded_by_user = fields.String(required=True)


@events.type("question.asked", "A question was published for the community to answer.")
class QuestionAsked(_Artifact):
    pass


class _Answer(Schema):
    answer_id = fields.String(required=True)
    question_id = fields.String(required=True)
    community_id = fields.String(required=True)
    question_title = fields.String(required=True)
    asked_by = fields.String(required=True)
    answer_author = fields.String(required=True)
    accepted = fields.Boolean(required=True)
    question_tags = fields.List(fields.String(), required=True)


@events.type("answer.posted", "A member answered a question.")
class AnswerPosted(_Answer):
    pass


@events.type("answer.voted", "Someone voted an answer up (+1) or down (-1), or changed their vote.")
class AnswerVoted(_Answer):
    voted_by = fields.String(required=True)
    value = fields.Integer(required=True)
    score = fields.Integer(required=True, metadata={"description": "the answer's score after the vote"})


@events.type("answer.accepted", "The asker (or an owner or facilitator) accepted an answer.")
class AnswerAccepted(_Answer):
    accepted_by = fields.String(required=True)
    previously_accepted = fields.String(required=True, allow_none=True)
