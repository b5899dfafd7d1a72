"""What goes in and out of the expertise service."""
from marshmallow import Schema, fields, validate

from commonplace.boundary import JsonBoolean
from commonplace.pagination import RankedPageQuerySchema
from commonplace.text import OneLine

Topic = lambda **kw: OneLine(min_length=1, max_length=100, **kw)  # noqa: E731 - a tag or a domain


class ExpertsQuerySchema(RankedPageQuerySchema):
    topic = Topic(required=True, metadata={"description": "a tag or a domain"})
    community = OneLine(min_length=1, max_length=64, metadata={"description": "only this community's experts"})


class CommunityExpertsQuerySchema(RankedPageQuerySchema):
    topic = Topic(required=True, metadata={"description": "a tag or a domain"})


class ExpertiseSetSchema(Schema):
    listed = JsonBoolean(required=True, metadata={
        "description": "false: out of the directory of experts and of question routing, at once"})
    claims = fields.List(Topic(), required=True, validate=validate.Length(max=30),
                         metadata={"description": "topics you say you know; shown as claims until evidence exists"})


class ExpertiseSchema(Schema):
    listed = fields.Boolean()
    claims = fields.List(fields.String())


class EvidenceLinkSchema(Schema):
    kind = fields.String(metadata={"description": "what it links to: artifact, workshop, initiative or pathway"})
    id = fields.String()
    title = fields.String()


class EvidenceSchema(Schema):
    kind = fields.String(metadata={"description": "accepted_answer, standard, published, review, facilitated, "
                                                 "credits or outcome"})
    count = fields.Integer()
    links = fields.List(fields.Nested(EvidenceLinkSchema))


class ExpertSchema(Schema):
    user_id = fields.String()
    topic = fields.String()
    score = fields.Float(metadata={"description": "the evidence's weight, older evidence counting less"})
    claim_only = fields.Boolean(metadata={"description": "says they know it; no evidence yet"})
    summary = fields.String(metadata={"description": 'the evidence in words: "3 accepted answers, 1 standard"'})
    evidence = fields.List(fields.Nested(EvidenceSchema))
