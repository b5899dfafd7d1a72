"""What goes in and out of the knowledge service."""
from marshmallow import Schema, fields, validate

from commonplace.boundary import JsonBoolean
from commonplace.pagination import PageQuerySchema, RankedPageQuerySchema
from commonplace.text import MultiLine, OneLine, WebAddress

KINDS = ("best_practice", "lesson_learned", "guide", "case_study", "template", "question")
STATUSES = ("draft", "in_review", "published", "needs_review", "archived")
MAX_BODY = 200 * 1024

Tags = lambda: fields.List(  # noqa: E731 - one definition shared by create and edit
    OneLine(min_length=1, max_length=40), load_default=list, validate=validate.Length(max=20))
Links = lambda: fields.List(WebAddress(), load_default=list, validate=validate.Length(max=20))  # noqa: E731


class ArtifactCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    title = OneLine(required=True, min_length=1, max_length=200)
    body = MultiLine(required=True, max_length=MAX_BODY, metadata={"description": "Markdown (CommonMark)"})
    tags = Tags()
    links = Links()
    review_by = fields.AwareDateTime(allow_none=True, load_default=None)


class ArtifactEditSchema(Schema):
    title = OneLine(required=True, min_length=1, max_length=200)
    body = MultiLine(required=True, max_length=MAX_BODY, metadata={"description": "Markdown (CommonMark)"})
    tags = Tags()
    links = Links()
    summary = OneLine(load_default="", max_length=500, metadata={"description": "what this edit changed"})
    major = JsonBoolean(load_default=False, metadata={
        "description": "a change readers should read again: learners with it in a pathway under way are asked to"})
    base_revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                   metadata={"description": "the revision this edit was made from"})


DECISIONS = ("approve", "request_changes")


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = MultiLine(load_default="", max_length=5000)


class VerifySchema(Schema):
    review_by = fields.AwareDateTime(allow_none=True, load_default=None,
                                     metadata={"description": "when to check it again; none: no date"})


class ArtifactListQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    tag = OneLine(max_length=40)
    status = fields.String(validate=validate.OneOf(STATUSES))
    standard = fields.Boolean(metadata={"description": "true: only the community's standards (current ones)"})


class DiffQuerySchema(Schema):
    from_ = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1))
    to = fields.Integer(required=True, validate=validate.Range(min=1))


class StandardRequestSchema(Schema):
    topic = OneLine(required=True, min_length=1, max_length=100,
                    metadata={"description": "what the artifact is the standard practice for"})
    supersedes = OneLine(load_default=None, allow_none=True, max_length=64,
                               metadata={"description": "the topic's standard until now, which this replaces"})


class AnswerCreateSchema(Schema):
    body = MultiLine(required=True, min_length=1, max_length=20000, metadata={"description": "Markdown"})


class VoteSchema(Schema):
    value = fields.Integer(required=True, strict=True, validate=validate.OneOf([1, -1]))


class AnswerSchema(Schema):
    id = fields.String(attribute="_id")
    question_id = fields.String()
    community_id = fields.String()
    body = fields.String()
    body_html = fields.String()
    author = fields.String()
    created_at = fields.DateTime()
    score = fields.Integer()
    accepted = fields.Boolean()


class StandardSchema(Schema):
    topic = fields.String(allow_none=True)
    supersedes = fields.String(allow_none=True)
    superseded_by = fields.String(allow_none=True)


class ApprovalSchema(Schema):
    revision = fields.Integer()
    by = fields.String()
    at = fields.DateTime()
    comment = fields.String()


class OriginSchema(Schema):
    kind = fields.String(metadata={"description": "what the artifact was drafted from: initiative"})
    id = fields.String()
    title = fields.String()


class ArtifactSchema(Schema):
    id = fields.String(attribute="_id")
    community_id = fields.String()
    organisation = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    body_html = fields.String()
    tags = fields.List(fields.String())
    links = fields.List(fields.String())
    review_by = fields.DateTime(allow_none=True)
    status = fields.String()
    revision = fields.Integer()
    author = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    endorsement_count = fields.Integer()
    standard = fields.Nested(StandardSchema, allow_none=True)
    approval = fields.Nested(ApprovalSchema, allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    accepted_answer = fields.String(allow_none=True, metadata={"description": "a question's accepted answer"})
    origin = fields.Nested(OriginSchema, allow_none=True, metadata={
        "description": "where a draft the platform made came from (an initiative's outcome)"})


class ArtifactSummarySchema(Schema):
    id = fields.String(attribute="_id")
    community_id = fields.String()
    kind = fields.String()
    title = fields.String()
    tags = fields.List(fields.String())
    status = fields.String()
    revision = fields.Integer()
    author = fields.String()
    updated_at = fields.DateTime()
    standard = fields.Nested(StandardSchema, allow_none=True)


class RevisionSchema(Schema):
    artifact_id = fields.String()
    number = fields.Integer()
    title = fields.String()
    body = fields.String()
    tags = fields.List(fields.String())
    links = fields.List(fields.String())
    author = fields.String()
    at = fields.DateTime()
    summary = fields.String()


class RevisionSummarySchema(Schema):
    number = fields.Integer()
    author = fields.String()
    at = fields.DateTime()
    summary = fields.String()


class SearchQuerySchema(RankedPageQuerySchema):
    q = OneLine(load_default="", max_length=500, metadata={
        "description": 'words (all must match), "a phrase", a prefix* — or nothing, to browse by filters'})
    community = OneLine(max_length=64)
    kind = fields.String(validate=validate.OneOf(KINDS))
    tag = OneLine(max_length=40)
    status = fields.String(validate=validate.OneOf(STATUSES))
    mine = fields.Boolean(load_default=False, metadata={"description": "true: only what the caller wrote"})


class SearchItemSchema(Schema):
    id = fields.String()
    title = fields.String()
    kind = fields.String()
    community_id = fields.String()
    status = fields.String()
    snippet = fields.String(metadata={"description": "HTML: the text escaped, what matched in <mark>"})
    score = fields.Float(metadata={"description": "relevance (BM25): higher is better"})


def counts():
    """How many matches have each value."""
    return fields.Dict(keys=fields.String(), values=fields.Integer())


class FacetsSchema(Schema):
    kind = counts()
    tag = counts()
    community = counts()


class SearchResultSchema(Schema):
    items = fields.List(fields.Nested(SearchItemSchema))
    facets = fields.Nested(FacetsSchema, metadata={"description": "counts over every match, not just this page"})
    next_cursor = fields.String(allow_none=True)
