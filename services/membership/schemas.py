"""What goes in and out of the membership service, at the RPC boundary and over HTTP."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from commonplace.pagination import PageQuerySchema
from commonplace.text import SLUG, MultiLine, OneLine

ROLES = ("owner", "facilitator", "member")
VISIBILITIES = ("public", "organisation", "private")
JOIN_POLICIES = ("open", "approval", "invitation")
KNOWLEDGE_REVIEW = ("required", "none")
REQUEST_STATUSES = ("pending", "approved", "rejected")

Tags = lambda: fields.List(  # noqa: E731 - one definition shared by create and update
    OneLine(min_length=1, max_length=40), validate=validate.Length(max=20),
)


class OrganisationCreateSchema(Schema):
    name = OneLine(required=True, min_length=1, max_length=120)
    slug = fields.String(required=True, validate=SLUG)


class OrganisationSchema(Schema):
    slug = fields.String(attribute="_id")
    name = fields.String()
    created_at = fields.DateTime()


class CommunityCreateSchema(Schema):
    name = OneLine(required=True, min_length=1, max_length=120)
    slug = fields.String(validate=SLUG)
    domain = OneLine(required=True, min_length=1, max_length=80)
    description = MultiLine(load_default="", max_length=5000)
    tags = Tags()
    visibility = fields.String(load_default="organisation", validate=validate.OneOf(VISIBILITIES))
    join_policy = fields.String(load_default="open", validate=validate.OneOf(JOIN_POLICIES))
    knowledge_review = fields.String(load_default="required", validate=validate.OneOf(KNOWLEDGE_REVIEW),
                                     metadata={"description": "whether publishing knowledge needs an approval"})


class CommunityUpdateSchema(Schema):
    openapi = {"minProperties": 1}

    name = OneLine(min_length=1, max_length=120)
    domain = OneLine(min_length=1, max_length=80)
    description = MultiLine(max_length=5000)
    tags = Tags()
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    join_policy = fields.String(validate=validate.OneOf(JOIN_POLICIES))
    knowledge_review = fields.String(validate=validate.OneOf(KNOWLEDGE_REVIEW))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one field to change")


class CommunitySchema(Schema):
    id = fields.String(attribute="_id")
    organisation = fields.String()
    name = fields.String()
    slug = fields.String()
    domain = fields.String()
    description = fields.String()
    tags = fields.List(fields.String())
    visibility = fields.String()
    join_policy = fields.String()
    knowledge_review = fields.String()
    partners = fields.List(fields.String())
    member_count = fields.Integer()
    archived = fields.Boolean()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class StandingSchema(Schema):
    """Where the caller stands in a community: a pending invitation or join request."""
    id = fields.String(attribute="_id")
    role = fields.String()
    status = fields.String()


class CommunityViewSchema(CommunitySchema):
    membership = fields.Nested(lambda: MembershipSchema, allow_none=True,
                               metadata={"description": "the caller's membership, or null"})
    invitation = fields.Nested(StandingSchema, allow_none=True,
                               metadata={"description": "the caller's pending invitation, or null"})
    join_request = fields.Nested(StandingSchema, allow_none=True,
                                 metadata={"description": "the caller's pending join request, or null"})


class MyCommunitySchema(CommunitySchema):
    role = fields.String()


class CommunityListQuerySchema(PageQuerySchema):
    domain = OneLine(max_length=80)
    tag = OneLine(max_length=40)
    q = OneLine(max_length=200)


class MembershipSchema(Schema):
    community_id = fields.String()
    user_id = fields.String()
    organisation = fields.String(allow_none=True)
    role = fields.String()
    joined_at = fields.DateTime()


class MemberListQuerySchema(PageQuerySchema):
    role = fields.String(validate=validate.OneOf(ROLES))


class RoleChangeSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class MembershipEndedSchema(Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["left", "removed"],
                                                    "description": "left: of their own accord; removed: by a manager"})


class JoinRequestSchema(Schema):
    id = fields.String(attribute="_id")
    community_id = fields.String()
    user_id = fields.String()
    organisation = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)


class JoinRequestQuerySchema(PageQuerySchema):
    status = fields.String(load_default="pending", validate=validate.OneOf(REQUEST_STATUSES))


class JoinResultSchema(Schema):
    membership = fields.Nested(MembershipSchema)
    join_request = fields.Nested(JoinRequestSchema)


class InvitationCreateSchema(Schema):
    user_id = OneLine(required=True, min_length=1, max_length=200)
    role = fields.String(load_default="member", validate=validate.OneOf(ROLES))


class InvitationSchema(Schema):
    id = fields.String(attribute="_id")
    community_id = fields.String()
    user_id = fields.String()
    role = fields.String()
    status = fields.String()
    invited_by = fields.String()
    created_at = fields.DateTime()


class PartnerSchema(Schema):
    organisation = fields.String(required=True, validate=SLUG)


class ProfileSchema(Schema):
    user_id = fields.String()
    organisation = fields.String(allow_none=True)
    sub = fields.String()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class DirectoryLinkSchema(Schema):
    role = fields.String(load_default="member", validate=validate.OneOf(("member", "facilitator")),
                         metadata={"description": "the role the group's people have in the community"})


class DirectoryLinkViewSchema(Schema):
    community_id = fields.String()
    group_id = fields.String()
    display_name = fields.String(allow_none=True)
    role = fields.String()
    linked_by = fields.String()
    linked_at = fields.DateTime()


class DirectoryLinksSchema(Schema):
    items = fields.List(fields.Nested(DirectoryLinkViewSchema))
