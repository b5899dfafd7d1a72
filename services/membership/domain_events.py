"""The catalogue of the membership service's domain events (``data`` of each), and how one
is made. Each schema says where its fields come from in the document an event is made of (a
community, a membership, a profile), so a rule passes the document with what its change adds."""
from marshmallow import Schema, fields

from commonplace.envelope import EventCatalogue

events = EventCatalogue("membership")
new_event = events.new


def community_event(short_type, community, subject, data):
    """A new event about ``community`` (its id and organisation go in the envelope)."""
    return new_event(short_type, subject=subject, data=data, community=community["_id"],
                     organisation=community["organisation"])


@events.type("organisation.created", "An organisation was registered on the platform.")
class OrganisationCreated(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)


class _Community(Schema):
    """Made of a community document."""
    community_id = fields.String(required=True, attribute="_id")
    organisation = fields.String(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    domain = fields.String(required=True)
    tags = fields.List(fields.String(), required=True, dump_default=list)
    visibility = fields.String(required=True)
    join_policy = fields.String(required=True)
    # Communities from before the setting existed need approval, as new ones do by default.
    knowledge_review = fields.String(required=True, dump_default="required")
    partners = fields.List(fields.String(), required=True, dump_default=list)


@events.type("community.created", "A community was created; its creator is its first owner.")
class CommunityCreated(_Community):
    created_by = fields.String(required=True)


@events.type("community.updated", "A community's details changed; `changed` names the fields.")
class CommunityUpdated(_Community):
    changed = fields.List(fields.String(), required=True)


@events.type("community.archived", "A community was archived: read-only from now on.")
class CommunityArchived(Schema):
    community_id = fields.String(required=True)
    organisation = fields.String(required=True)
    archived_by = fields.String(required=True)


class _Member(Schema):
    """Made of a membership document."""
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    organisation = fields.String(required=True, allow_none=True, dump_default=None)
    role = fields.String(required=True)


@events.type("member.joined", "Someone became a member (open join, approval, invitation or creation).")
class MemberJoined(_Member):
    via = fields.String(required=True)


@events.type("member.left", "A member left the community of their own accord.")
class MemberLeft(_Member):
    pass


@events.type("member.removed", "An owner or facilitator removed a member.")
class MemberRemoved(_Member):
    removed_by = fields.String(required=True)


@events.type("member.role_changed", "An owner changed a member's role.")
class MemberRoleChanged(_Member):
    previous_role = fields.String(required=True)
    changed_by = fields.String(required=True)


class _JoinRequest(Schema):
    request_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    organisation = fields.String(required=True, allow_none=True)


@events.type("join_request.created", "Someone asked to join a community that needs approval.")
class JoinRequestCreated(_JoinRequest):
    pass


@events.type("join_request.approved", "An owner or facilitator approved a join request.")
class JoinRequestApproved(_JoinRequest):
    decided_by = fields.String(required=True)


@events.type("join_request.rejected", "An owner or facilitator rejected a join request.")
class JoinRequestRejected(_JoinRequest):
    decided_by = fields.String(required=True)


class _Invitation(Schema):
    invitation_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    role = fields.String(required=True)


@events.type("invitation.created", "An owner or facilitator invited someone.")
class InvitationCreated(_Invitation):
    invited_by = fields.String(required=True)


@events.type("invitation.accepted", "An invited person accepted and became a member.")
class InvitationAccepted(_Invitation):
    organisation = fields.String(required=True, allow_none=True)


@events.type("partner.added", "An owner federated the community with a partner organisation.")
class PartnerAdded(Schema):
    community_id = fields.String(required=True)
    organisation = fields.String(required=True)
    partner = fields.String(required=True)
    added_by = fields.String(required=True)


@events.type("profile.updated",
            "A person's name, email address or organisation roles as their token gives them changed "
            "(or the person was seen for the first time).")
class ProfileUpdated(Schema):
    """Made of a profile document."""
    user_id = fields.String(required=True)
    organisation = fields.String(required=True, allow_none=True, dump_default=None)
    sub = fields.String(required=True)
    name = fields.String(required=True, allow_none=True, dump_default=None)
    email = fields.String(required=True, allow_none=True, dump_default=None)
    roles = fields.List(fields.String(), required=True)
    changed = fields.List(fields.String(), required=True)


class _DirectoryLink(Schema):
    """Made of a directory link document."""
    community_id = fields.String(required=True)
    organisation = fields.String(required=True)
    group_id = fields.String(required=True)
    display_name = fields.String(required=True, allow_none=True)
    role = fields.String(required=True)


@events.type("directory_group.linked", "A community's owner linked a group of the organisation's directory: "
             "its people become members with `role`.")
class DirectoryGroupLinked(_DirectoryLink):
    linked_by = fields.String(required=True)


@events.type("directory_group.unlinked", "A directory group no longer gives a community its members (an owner "
             "unlinked it, or the directory deleted it: `unlinked_by` directory); the memberships only it gave end.")
class DirectoryGroupUnlinked(_DirectoryLink):
    unlinked_by = fields.String(required=True)
