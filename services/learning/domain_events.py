"""The catalogue of the learning service's domain events (``data`` of each)."""
from marshmallow import Schema, fields

from commonplace.envelope import EventCatalogue, EventTime

events = EventCatalogue("learning")
new_event = events.new


def pathway_event(short_type, pathway, data):
    """A new event about ``pathway`` (its community and organisation go in the envelope)."""
    return new_event(short_type, subject=f"pathways/{pathway['_id']}", community=pathway["community_id"],
                     organisation=pathway["organisation"], data={
                         "pathway_id": pathway["_id"], "community_id": pathway["community_id"],
                         "title": pathway["title"], **data})


class _Pathway(Schema):
    pathway_id = fields.String(required=True)
    community_id = fields.String(required=True)
    title = fields.String(required=True)


@events.type("pathway.created", "An owner or facilitator made a learning pathway.")
class PathwayCreated(_Pathway):
    credits = fields.Float(required=True)
    steps = fields.Integer(required=True)
    created_by = fields.String(required=True)


@events.type("pathway.updated", "A pathway's details or steps changed.")
class PathwayUpdated(_Pathway):
    changed = fields.List(fields.String(), required=True)
    updated_by = fields.String(required=True)


class _Learner(_Pathway):
    user_id = fields.String(required=True)


@events.type("enrolment.started", "Someone enrolled on a pathway.")
class EnrolmentStarted(_Learner):
    pass


@events.type("enrolment.withdrawn", "Someone left a pathway before completing it.")
class EnrolmentWithdrawn(_Learner):
    pass


@events.type("step.done", "A learner did a step of a pathway (read, attended, or an answer accepted).")
class StepDone(_Learner):
    step_id = fields.String(required=True)
    step_title = fields.String(required=True)


@events.type("step.reopened", "A major revision of an artifact asks a learner in progress to read it again.")
class StepReopened(_Learner):
    step_id = fields.String(required=True)
    step_title = fields.String(required=True)


@events.type("completion.awarded", "A learner completed a pathway: its credits, once, and its expiry.")
class CompletionAwarded(_Learner):
    credits = fields.Float(required=True)
    domain = fields.String(required=True, allow_none=True)
    completed_at = EventTime(required=True)
    expires_at = EventTime(required=True, allow_none=True)


@events.type("completion.renewed", "A learner completed a pathway again after its completion expired (no new credits).")
class CompletionRenewed(_Learner):
    completed_at = EventTime(required=True)
    expires_at = EventTime(required=True, allow_none=True)


@events.type("completion.expiring", "A completion expires soon (told 30 and 7 days before).")
class CompletionExpiring(_Learner):
    expires_at = EventTime(required=True)
    days_left = fields.Integer(required=True)
