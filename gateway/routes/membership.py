"""Organisations, communities, members, join requests and invitations: the membership service."""
from commonplace.pagination import PageQuerySchema
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.openapi import page_of
from gateway.routes import Routes
from services.membership import schemas as ms


class MembershipRoutes(Routes):
    membership = ServiceRpc("membership")

    # organisations

    @endpoint("POST", "/v1/organisations", status=201, body=ms.OrganisationCreateSchema,
              response=ms.OrganisationSchema, tag="organisations",
              summary="Register an organisation (platform admins)")
    def create_organisation(self, request, body):
        return self.membership.create_organisation(fields=body)

    @endpoint("GET", "/v1/organisations/<org>", response=ms.OrganisationSchema,
              tag="organisations", summary="An organisation")
    def get_organisation(self, request, org):
        return self.membership.get_organisation(slug=org)

    # people

    @endpoint("GET", "/v1/me", response=ms.ProfileSchema, tag="people",
              summary="Who the platform takes the caller to be: their profile, from their token")
    def me(self, request):
        return self.membership.see_person()

    # communities

    @endpoint("POST", "/v1/communities", status=201, body=ms.CommunityCreateSchema,
              response=ms.CommunitySchema, tag="communities",
              summary="Create a community; its creator becomes its owner")
    def create_community(self, request, body):
        return self.membership.create_community(fields=body)

    @endpoint("GET", "/v1/communities", query=ms.CommunityListQuerySchema,
              response=page_of(ms.CommunitySchema), tag="communities",
              summary="The communities the caller may see")
    def list_communities(self, request, query):
        return self.membership.list_communities(query=query)

    @endpoint("GET", "/v1/communities/<community_id>", response=ms.CommunityViewSchema,
              tag="communities", summary="A community, with the caller's membership, invitation or join request")
    def get_community(self, request, community_id):
        return self.membership.get_community(community_id=community_id)

    @endpoint("PATCH", "/v1/communities/<community_id>", body=ms.CommunityUpdateSchema,
              response=ms.CommunitySchema, tag="communities",
              summary="Change a community (owners and facilitators)")
    def update_community(self, request, community_id, body):
        return self.membership.update_community(community_id=community_id, fields=body)

    @endpoint("POST", "/v1/communities/<community_id>/archive", response=ms.CommunitySchema,
              tag="communities", summary="Archive a community (owners)")
    def archive_community(self, request, community_id):
        return self.membership.archive_community(community_id=community_id)

    @endpoint("POST", "/v1/communities/<community_id>/partners", status=201,
              body=ms.PartnerSchema, response=ms.CommunitySchema, tag="communities",
              summary="Federate with a partner organisation (owners)")
    def add_partner(self, request, community_id, body):
        return self.membership.add_partner(community_id=community_id, fields=body)

    # members

    @endpoint("POST", "/v1/communities/<community_id>/join", status=201,
              response=ms.JoinResultSchema, also={202: ms.JoinResultSchema}, tag="members",
              summary="Join (201 with a membership) or ask to join (202 with a join request)")
    def join(self, request, community_id):
        result = self.membership.join(community_id=community_id)
        return (201 if "membership" in result else 202), result

    @endpoint("GET", "/v1/communities/<community_id>/members", query=ms.MemberListQuerySchema,
              response=page_of(ms.MembershipSchema), tag="members", summary="Members of a community")
    def list_members(self, request, community_id, query):
        return self.membership.list_members(community_id=community_id, query=query)

    @endpoint("PUT", "/v1/communities/<community_id>/members/<user_id>", body=ms.RoleChangeSchema,
              response=ms.MembershipSchema, tag="members", summary="Change a member's role (owners)")
    def set_role(self, request, community_id, user_id, body):
        return self.membership.set_role(community_id=community_id, user_id=user_id, fields=body)

    @endpoint("DELETE", "/v1/communities/<community_id>/members/<user_id>", tag="members",
              response=ms.MembershipEndedSchema,
              summary="Leave (yourself) or remove a member (owners and facilitators)")
    def remove_member(self, request, community_id, user_id):
        return self.membership.remove_member(community_id=community_id, user_id=user_id)

    @endpoint("GET", "/v1/me/communities", query=PageQuerySchema,
              response=page_of(ms.MyCommunitySchema), tag="members",
              summary="The caller's communities, with their role")
    def my_communities(self, request, query):
        return self.membership.my_communities(query=query)

    # join requests and invitations

    @endpoint("GET", "/v1/communities/<community_id>/join-requests",
              query=ms.JoinRequestQuerySchema, response=page_of(ms.JoinRequestSchema),
              tag="members", summary="Join requests (owners and facilitators)")
    def list_join_requests(self, request, community_id, query):
        return self.membership.list_join_requests(community_id=community_id, query=query)

    @endpoint("POST", "/v1/communities/<community_id>/join-requests/<request_id>/approve",
              response=ms.JoinRequestSchema, tag="members", summary="Approve a join request")
    def approve_join_request(self, request, community_id, request_id):
        return self.membership.decide_join_request(
            community_id=community_id, request_id=request_id, approve=True)

    @endpoint("POST", "/v1/communities/<community_id>/join-requests/<request_id>/reject",
              response=ms.JoinRequestSchema, tag="members", summary="Reject a join request")
    def reject_join_request(self, request, community_id, request_id):
        return self.membership.decide_join_request(
            community_id=community_id, request_id=request_id, approve=False)

    @endpoint("POST", "/v1/communities/<community_id>/invitations", status=201,
              body=ms.InvitationCreateSchema, response=ms.InvitationSchema, tag="members",
              summary="Invite someone (owners and facilitators)")
    def invite(self, request, community_id, body):
        return self.membership.invite(community_id=community_id, fields=body)

    @endpoint("POST", "/v1/invitations/<invitation_id>/accept", response=ms.JoinResultSchema,
              tag="members", summary="Accept an invitation addressed to you")
    def accept_invitation(self, request, invitation_id):
        return self.membership.accept_invitation(invitation_id=invitation_id)

    # directory groups

    @endpoint("PUT", "/v1/communities/<community_id>/directory-groups/<group_id>", body=ms.DirectoryLinkSchema,
              response=ms.DirectoryLinkViewSchema, tag="members",
              summary="Link a group of the organisation's directory: its people become members (owners)")
    def link_directory_group(self, request, community_id, group_id, body):
        return self.membership.link_directory_group(community_id=community_id, group_id=group_id, fields=body)

    @endpoint("GET", "/v1/communities/<community_id>/directory-groups", response=ms.DirectoryLinksSchema,
              tag="members", summary="The directory groups linked to a community (owners and facilitators)")
    def list_directory_groups(self, request, community_id):
        return self.membership.list_directory_groups(community_id=community_id)

    @endpoint("DELETE", "/v1/communities/<community_id>/directory-groups/<group_id>",
              response=ms.DirectoryLinkViewSchema, tag="members",
              summary="Unlink a directory group: the memberships only it gave end (owners)")
    def unlink_directory_group(self, request, community_id, group_id):
        return self.membership.unlink_directory_group(community_id=community_id, group_id=group_id)
