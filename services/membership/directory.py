"""Memberships an organisation's directory gives: its groups linked to communities, its people
deprovisioned and reactivated. Mixed into the membership service (as ``ServesCopies`` is).

A community's owners link a group of the directory (``PUT /v1/communities/{id}/directory-groups/
{group_id}``, with the role it gives): the group's people, as the identity service says when it
is linked, become members (``member.joined``, via directory_group), each such membership listing
the groups that give it (``sources``). The identity service's ``directory_group.changed`` events
then add and remove people: a membership ends (``member.removed`` by "directory", with all a
removal means: registrations cancelled, the waitlist promoted, drafts passed on) when no linked
group gives it any more, unless the person joined themselves. A deprovisioned person's
memberships all end, an owner's too; a reactivated one's groups give theirs back. A deleted
person's name and address are forgotten.
"""
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.handlers import domain_event_handler
from commonplace.rpc import ServiceRpc, rpc
from services.membership import domain
from services.membership import schemas as s

IDENTITY = "commonplace.identity."


class FollowsDirectory:
    identity = ServiceRpc("identity")

    @rpc
    def link_directory_group(self, community_id, group_id, fields):
        role = load(s.DirectoryLinkSchema, fields)["role"]
        actor, community, membership = self._see(community_id)
        domain.require_owner(community, actor, membership)
        group = self.identity.directory_group(group_id=group_id)  # NotFound for none of the organisation's
        link, events = domain.link_group(community, actor, membership, group, role,
                                         self.store.directory_link(community_id, group_id), now())
        self.store.save_directory_link(link, events)
        self.store.set_directory_members(group_id, group["organisation"], group["people"], [])
        for person in group["people"]:
            self._join_by_group(community, link, person)
        return dump(s.DirectoryLinkViewSchema, link)

    @rpc
    def list_directory_groups(self, community_id):
        actor, community, membership = self._see(community_id)
        domain.require_manager(community, actor, membership)
        return {"items": dump(s.DirectoryLinkViewSchema, self.store.directory_links_of_community(community_id),
                              many=True)}

    @rpc
    def unlink_directory_group(self, community_id, group_id):
        actor, community, membership = self._see(community_id)
        link = self.store.directory_link(community_id, group_id)
        self._unlink(community, actor, membership, link)
        return dump(s.DirectoryLinkViewSchema, link)

    def _unlink(self, community, actor, membership, link):
        events = domain.unlink_group(community, actor, membership, link)
        self.store.end_directory_link(link["_id"], events)
        for member in self.store.memberships_in(community["_id"], source=link["group_id"]):
            self._drop_source(community, member["user_id"], link["group_id"])

    def _join_by_group(self, community, link, person):
        existing = self.store.membership(community["_id"], person)
        joined, events, add_source = domain.join_by_group(community, link, person, existing, now())
        if joined is not None:
            self.store.add_membership(joined, events)
        elif add_source:
            self.store.add_source(community["_id"], person, link["group_id"])

    def _drop_source(self, community, person, group_id):
        membership = self.store.drop_source(community["_id"], person, group_id)
        if domain.ends_without_sources(membership):
            self._end_by_directory(community, membership)

    def _end_by_directory(self, community, membership):
        self.store.end_membership(community["_id"], membership["user_id"], membership["role"], "removed",
                                  domain.removed_by_directory(community, membership), even_last_owner=True)

    # the directory's word, as the identity service's events bring it

    @domain_event_handler("identity", IDENTITY + "directory_group.changed")
    def on_directory_group_changed(self, event):
        group = event["data"]
        self.store.set_directory_members(group["group_id"], group["organisation"], group["added"], group["removed"])
        for link in self.store.directory_links_of_group(group["group_id"]):
            community = self.store.community(link["community_id"])
            if group["deleted"]:
                self._unlink(community, None, None, link)
                continue
            for person in group["added"]:
                self._join_by_group(community, link, person)
            for person in group["removed"]:
                self._drop_source(community, person, group["group_id"])

    @domain_event_handler("identity", IDENTITY + "person.deprovisioned")
    def on_person_deprovisioned(self, event):
        person = event["data"]["user_id"]
        for membership in self.store.memberships_of(person):
            self._end_by_directory(self.store.community(membership["community_id"]), membership)
        profile = self.store.profile(person)
        if event["data"]["erased"] and profile is not None and not profile.get("erased"):
            self.store.erase_profile(person, domain.erase_profile(profile))

    @domain_event_handler("identity", IDENTITY + "person.reactivated")
    def on_person_reactivated(self, event):
        person = event["data"]["user_id"]
        for group_id in self.store.groups_of(person):
            for link in self.store.directory_links_of_group(group_id):
                self._join_by_group(self.store.community(link["community_id"]), link, person)
