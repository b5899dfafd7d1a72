"""What goes in and out of the initiatives service."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from commonplace.boundary import CalendarDay
from commonplace.pagination import PageQuerySchema
from commonplace.text import MultiLine, OneLine

STATUSES = ("proposed", "active", "paused", "completed", "abandoned")
ROLES = ("steward", "contributor")
OUTCOME_KINDS = ("lesson_learned", "case_study")
LINK_KINDS = ("artifact", "workshop")
POSITIONS = ("agree", "disagree", "abstain")
MAX_BODY = 50 * 1024

Tags = lambda **kw: fields.List(  # noqa: E731 - one definition shared by create and change
    OneLine(min_length=1, max_length=40), validate=validate.Length(max=20), **kw)
Title = lambda **kw: OneLine(min_length=1, max_length=200, **kw)  # noqa: E731
Goal = lambda **kw: MultiLine(min_length=1, max_length=5000, metadata={"description": "what it sets out to do"}, **kw)  # noqa: E731


class InitiativeCreateSchema(Schema):
    title = Title(required=True)
    goal = Goal(required=True)
    tags = Tags(load_default=list)


class InitiativeUpdateSchema(Schema):
    openapi = {"minProperties": 1}

    title = Title()
    goal = Goal()
    tags = Tags()

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("change at least one of title, goal, tags", "_schema")


class InitiativeListQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    tag = OneLine(max_length=40)


class MyInitiativesQuerySchema(PageQuerySchema):
    role = fields.String(validate=validate.OneOf(ROLES))


class OutcomeSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(OUTCOME_KINDS))
    title = Title(required=True)
    body = MultiLine(required=True, min_length=1, max_length=MAX_BODY, metadata={"description": "Markdown"})


class CompleteSchema(Schema):
    openapi = {"oneOf": [{"required": ["outcome"]}, {"required": ["no_outcome"]}]}

    outcome = fields.Nested(OutcomeSchema, metadata={
        "description": "becomes a draft of the community's knowledge, by the stewards, for its usual review"})
    no_outcome = OneLine(min_length=1, max_length=1000, metadata={"description": "why it leaves no outcome"})

    @validates_schema
    def one_of(self, data, **kwargs):
        if ("outcome" in data) == ("no_outcome" in data):
            raise ValidationError("give an outcome, or a reason for none (no_outcome)", "outcome")


class AbandonSchema(Schema):
    reason = OneLine(required=True, min_length=1, max_length=1000)


class InitiativeRoleSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class MilestoneCreateSchema(Schema):
    title = Title(required=True)
    due_on = CalendarDay(required=True)


class InitiativeLinkCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LINK_KINDS))
    id = OneLine(required=True, min_length=1, max_length=64)


class ProgressUpdateCreateSchema(Schema):
    body = MultiLine(required=True, min_length=1, max_length=MAX_BODY, metadata={"description": "Markdown"})


class DecisionCreateSchema(Schema):
    question = OneLine(required=True, min_length=1, max_length=500)
    closes_at = fields.AwareDateTime(required=True)


class PositionSchema(Schema):
    position = fields.String(required=True, validate=validate.OneOf(POSITIONS))


class DecisionOutcomeSchema(Schema):
    statement = MultiLine(required=True, min_length=1, max_length=5000)
    review_on = CalendarDay(load_default=None, allow_none=True,
                            metadata={"description": "the day the stewards are asked to review the decision"})


# out

class InitiativeMemberSchema(Schema):
    user_id = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    joined_at = fields.DateTime()


class MilestoneSchema(Schema):
    id = fields.String(attribute="_id")
    initiative_id = fields.String()
    title = fields.String()
    due_on = CalendarDay()
    done_at = fields.DateTime(allow_none=True)
    done_by = fields.String(allow_none=True)


class InitiativeLinkSchema(Schema):
    kind = fields.String(validate=validate.OneOf(LINK_KINDS))
    id = fields.String()
    title = fields.String()
    linked_by = fields.String()
    linked_at = fields.DateTime()


class CompletionSchema(Schema):
    kind = fields.String(allow_none=True, metadata={"description": "the outcome's kind; none with a reason"})
    title = fields.String(allow_none=True)
    artifact_id = fields.String(allow_none=True, metadata={"description": "the knowledge draft it became"})
    no_outcome = fields.String(allow_none=True)
    completed_by = fields.String()
    completed_at = fields.DateTime()


class InitiativeSchema(Schema):
    id = fields.String(attribute="_id")
    community_id = fields.String()
    title = fields.String()
    goal = fields.String()
    tags = fields.List(fields.String())
    status = fields.String(validate=validate.OneOf(STATUSES))
    stewards = fields.List(fields.String())
    member_count = fields.Integer()
    my_role = fields.String(allow_none=True, metadata={"description": "the caller's role in it, if any"})
    milestones = fields.List(fields.Nested(MilestoneSchema))
    links = fields.List(fields.Nested(InitiativeLinkSchema))
    completion = fields.Nested(CompletionSchema, allow_none=True)
    abandon_reason = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProgressUpdateSchema(Schema):
    id = fields.String(attribute="_id")
    initiative_id = fields.String()
    author = fields.String()
    body = fields.String()
    body_html = fields.String(metadata={"description": "the body rendered and sanitised"})
    created_at = fields.DateTime()


class TallySchema(Schema):
    agree = fields.Integer()
    disagree = fields.Integer()
    abstain = fields.Integer()


class DecisionSchema(Schema):
    id = fields.String(attribute="_id")
    initiative_id = fields.String()
    question = fields.String()
    closes_at = fields.DateTime()
    status = fields.String(validate=validate.OneOf(("open", "closed", "decided")))
    tally = fields.Nested(TallySchema)
    my_position = fields.String(allow_none=True)
    statement = fields.String(allow_none=True)
    review_on = CalendarDay(allow_none=True)
    decided_by = fields.String(allow_none=True)
    opened_by = fields.String()
    opened_at = fields.DateTime()
