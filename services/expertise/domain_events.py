"""The catalogue of the expertise service's domain events (``data`` of each)."""
from marshmallow import Schema, fields

from commonplace.envelope import EventCatalogue

events = EventCatalogue("expertise")
new_event = events.new


class _Question(Schema):
    question_id = fields.String(required=True)
    community_id = fields.String(required=True)
    question_title = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)


@events.type("question.routed", "A new question went to the listed people who know its tags best (at most three).")
class QuestionRouted(_Question):
    experts = fields.List(fields.String(), required=True)


@events.type("question.escalated", "A question still unanswered after two days went to the community's facilitators.")
class QuestionEscalated(_Question):
    facilitators = fields.List(fields.String(), required=True)


@events.type("expertise.updated", "Someone listed or unlisted themselves, or changed what they claim to know.")
class ExpertiseUpdated(Schema):
    user_id = fields.String(required=True)
    listed = fields.Boolean(required=True)
    claims = fields.List(fields.String(), required=True)
