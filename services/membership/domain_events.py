"""The catalogue of the membership service's domain events (``data`` of each), and how one
is made."""
from functools import partial

from marshmallow import Schema, fields

from commonplace.envelope import event_type, make_event

SERVICE = "membership"
PREFIX = f"commonplace.{SERVICE}."

new_event = partial(make_event, SERVICE)


def community_event(short_type, community, subject, data):
    """A new event about ``community`` (its id and organisation go in the envelope)."""
    return new_event(short_type, subject=subject, data=data, community=community["_id"],
                     organisation=community["organisation"])


@event_type(PREFIX + "organisation.created", "An organisation was registered on the platform.")
class OrganisationCreated(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)


class _Community(Schema):
    community_id = fields.String(required=True)
    organisation = fields.String(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    domain = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    visibility = fields.String(required=True)
    join_policy = fields.String(required=True)
    knowledge_review = fields.String(required=True)
    partners = fields.List(fields.String(), required=True)


@event_type(PREFIX + "community.created", "A community was created; its creator is its first owner.")
class CommunityCreated(_Community):
    created_by = fields.String(required=True)


@event_type(PREFIX + "community.updated", "A community's details changed; `changed` names the fields.")
class CommunityUpdated(_Community):
    changed = fields.List(fields.String(), required=True)


@event_type(PREFIX + "community.archived", "A community was archived: read-only from now on.")
class CommunityArchived(Schema):
    community_id = fields.String(required=True)
    organisation = fields.String(required=True)
    archived_by = fields.String(required=True)


class _Member(Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    organisation = fields.String(required=True, allow_none=True)
    role = fields.String(required=True)


@event_type(PREFIX + "member.joined", "Someone became a member (open join, approval, invitation or creation).")
class MemberJoined(_Member):
    via = fields.String(required=True)


@event_type(PREFIX + "member.left", "A member left the community of their own accord.")
class MemberLeft(_Member):
    pass


@event_type(PREFIX + "member.removed", "An owner or facilitator removed a member.")
class MemberRemoved(_Member):
    removed_by = fields.String(required=True)


@event_type(PREFIX + "member.role_changed", "An owner changed a member's role.")
class MemberRoleChanged(_Member):
    previous_role = fields.String(required=True)
    changed_by = fields.String(required=True)


class _JoinRequest(Schema):
    request_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    organisation = fields.String(required=True, allow_none=True)


@event_type(PREFIX + "join_request.created", "Someone asked to join a community that needs approval.")
class JoinRequestCreated(_JoinRequest):
    pass


@event_type(PREFIX + "join_request.approved", "An owner or facilitator approved a join request.")
class JoinRequestApproved(_JoinRequest):
    decided_by = fields.String(required=True)


@event_type(PREFIX + "join_request.rejected", "An owner or facilitator rejected a join request.")
class JoinRequestRejected(_JoinRequest):
    decided_by = fields.String(required=True)


class _Invitation(Schema):
    invitation_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    role = fields.String(required=True)


@event_type(PREFIX + "invitation.created", "An owner or facilitator invited someone.")
class InvitationCreated(_Invitation):
    invited_by = fields.String(required=True)


@event_type(PREFIX + "invitation.accepted", "An invited person accepted and became a member.")
class InvitationAccepted(_Invitation):
    organisation = fields.String(required=True, allow_none=True)


@event_type(PREFIX + "partner.added", "An owner federated the community with a partner organisation.")
class PartnerAdded(Schema):
    community_id = fields.String(required=True)
    organisation = fields.String(required=True)
    partner = fields.String(required=True)
    added_by = fields.String(required=True)


def community_facts(community):
    """The part of a community every community event carries."""
    return {
        "community_id": community["_id"], "organisation": community["organisation"],
        "name": community["name"], "slug": community["slug"], "domain": community["domain"],
        "tags": community.get("tags", []), "visibility": community["visibility"],
        "join_policy": community["join_policy"], "partners": community.get("partners", []),
        # Communities from before the setting existed need approval, as new ones do by default.
        "knowledge_review": community.get("knowledge_review", "required"),
    }


def member_facts(membership):
    """The part of a membership every member event carries."""
    return {
        "community_id": membership["community_id"], "user_id": membership["user_id"],
        "organisation": membership.get("organisation"), "role": membership["role"],
    }


@event_type(PREFIX + "profile.updated",
            "A person's name, email address or organisation roles as their token gives them changed "
            "(or the person was seen for the first time).")
class ProfileUpdated(Schema):
    user_id = fields.String(required=True)
    organisation = fields.String(required=True, allow_none=True)
    sub = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    roles = fields.List(fields.String(), required=True)
    changed = fields.List(fields.String(), required=True)


def profile_facts(profile):
    return {key: profile.get(key) for key in ("user_id", "organisation", "sub", "name", "email", "roles")}
