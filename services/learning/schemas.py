"""What goes in and out of the learning service."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from commonplace.boundary import JsonNumber
from commonplace.pagination import PageQuerySchema
from commonplace.text import MultiLine, OneLine

STEP_KINDS = ("artifact", "workshop", "answer")
MAX_GROUPS, MAX_STEPS = 20, 50
ENROLMENT_STATUSES = ("in_progress", "completed")


class StepSchema(Schema):
    # Each kind names its own target and no other.
    openapi = {"oneOf": [
        {"properties": {"kind": {"enum": [kind]}}, "required": ["kind", target],
         "not": {"anyOf": [{"required": [other]} for other in ("artifact_id", "workshop_id", "tag") if other != target]}}
        for kind, target in (("artifact", "artifact_id"), ("workshop", "workshop_id"), ("answer", "tag"))]}

    kind = fields.String(required=True, validate=validate.OneOf(STEP_KINDS))
    artifact_id = OneLine(min_length=1, max_length=64, metadata={"description": "an artifact step: read it"})
    workshop_id = OneLine(min_length=1, max_length=64, metadata={"description": "a workshop step: attend it"})
    tag = OneLine(min_length=1, max_length=40, metadata={"description": "an answer step: have an answer with this tag accepted"})

    @validates_schema
    def one_target(self, data, **kwargs):
        wanted = {"artifact": "artifact_id", "workshop": "workshop_id", "answer": "tag"}.get(data.get("kind"))
        given = [name for name in ("artifact_id", "workshop_id", "tag") if name in data]
        if wanted and given != [wanted]:
            raise ValidationError(f"a {data['kind']} step names its {wanted} and nothing else", wanted)


class AtLeastSchema(Schema):
    at_least = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class Rule(fields.Field):
    """``"all"``, or ``{"at_least": n}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "all":
            return value
        if isinstance(value, dict):
            errors = AtLeastSchema().validate(value)
            if not errors:
                return {"at_least": value["at_least"]}
        raise ValidationError('"all", or {"at_least": n}')

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class GroupSchema(Schema):
    title = OneLine(required=True, min_length=1, max_length=200)
    rule = Rule(required=True, metadata={"description": '"all", or {"at_least": n} (n of its steps)',
                                         "oneOf": [{"type": "string", "enum": ["all"]},
                                                   {"type": "object", "required": ["at_least"],
                                                    "properties": {"at_least": {"type": "integer", "minimum": 1}},
                                                    "additionalProperties": False}]})
    steps = fields.List(fields.Nested(StepSchema), required=True, validate=validate.Length(min=1, max=MAX_STEPS))


def _pathway_fields(required):
    """The fields of a pathway, all required to make one, any of them to change one."""
    need = {"required": True} if required else {}
    return {
        "title": OneLine(min_length=1, max_length=200, **need),
        "description": MultiLine(max_length=5000, **({"load_default": ""} if required else {})),
        "credits": JsonNumber(validate=validate.Range(min=0, max=1000), **need),
        "valid_for_days": fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=3650),
                                         metadata={"description": "days a completion stays valid; none: for good"},
                                         **({"load_default": None} if required else {})),
        "groups": fields.List(fields.Nested(GroupSchema), validate=validate.Length(min=1, max=MAX_GROUPS),
                              metadata={"description": "taken in order; each is done by its rule"}, **need),
    }


PathwayCreateSchema = Schema.from_dict(_pathway_fields(True), name="PathwayCreateSchema")


class PathwayUpdateSchema(Schema.from_dict(_pathway_fields(False), name="PathwayUpdateBase")):
    openapi = {"minProperties": 1}

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("change at least one field", "_schema")


class ProgressQuerySchema(Schema):
    user = OneLine(min_length=1, max_length=300, metadata={"description": "whose progress (the community's managers)"})


class MyPathwaysQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(ENROLMENT_STATUSES))


# out

class StepOutSchema(Schema):
    id = fields.String(metadata={"description": "the step's id: the same for the same target whatever the edits"})
    kind = fields.String()
    artifact_id = fields.String()
    workshop_id = fields.String()
    tag = fields.String()
    title = fields.String()


class GroupOutSchema(Schema):
    title = fields.String()
    rule = Rule()
    steps = fields.List(fields.Nested(StepOutSchema))


class PathwaySchema(Schema):
    id = fields.String(attribute="_id")
    community_id = fields.String()
    title = fields.String()
    description = fields.String()
    credits = fields.Float()
    valid_for_days = fields.Integer(allow_none=True)
    groups = fields.List(fields.Nested(GroupOutSchema))
    enrolment_count = fields.Integer()
    my_status = fields.String(allow_none=True, metadata={"description": "in_progress, completed, or none"})
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class GroupProgressSchema(Schema):
    title = fields.String()
    rule = Rule()
    done = fields.Boolean()
    current = fields.Boolean(metadata={"description": "the first group not done: the one to work on"})
    steps = fields.List(fields.Nested(StepOutSchema))
    done_steps = fields.List(fields.String())


class PathwayCompletionSchema(Schema):
    completed_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    credits = fields.Float()


class ProgressSchema(Schema):
    pathway_id = fields.String()
    user_id = fields.String()
    status = fields.String(metadata={"description": "in_progress or completed"})
    enrolled_at = fields.DateTime()
    groups = fields.List(fields.Nested(GroupProgressSchema))
    steps_done = fields.Integer()
    steps_total = fields.Integer()
    completion = fields.Nested(PathwayCompletionSchema, allow_none=True)


class EnrolmentSchema(Schema):
    pathway_id = fields.String()
    title = fields.String()
    community_id = fields.String()
    status = fields.String()
    steps_done = fields.Integer()
    steps_total = fields.Integer()
    enrolled_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
