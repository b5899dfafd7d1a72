"""The membership service's collections. Every write that changes state carries its events.

organisations  _id = slug
communities    _id = ObjectId hex; (organisation, slug) unique
memberships    _id = "<community_id>:<user_id>"; kept when someone leaves (active=False) so a
               departure can carry its event and history survives
join_requests  _id = ObjectId hex; ``pending_key`` set only while pending (unique, sparse)
invitations    _id = ObjectId hex; ``pending_key`` likewise
profiles       _id = the person's id; their name, email address and roles as their token last
               gave them; ``version`` counts the changes (each is made from the one before)
directory_links    _id = "<community_id>:<group_id>": a directory group linked to a community,
                   with the role it gives; a membership it gave lists the group in ``sources``
directory_members  _id = "<group_id>:<user_id>": who is in which directory group, as the identity
                   service's events say (for the memberships a reactivation restores)
"""
from collections import Counter

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.actor import is_person_id, person_id
from commonplace.clock import now
from commonplace.errors import Conflict
from commonplace.ids import pair_id
from commonplace.migrations import PERSON_IDS, move_to_person_ids, once
from commonplace.outbox import push_events, strip_outbox, with_events
from commonplace.pagination import paginate
from commonplace.recounts import Recounts
from commonplace.turns import Turns


class MembershipRepository:
    def __init__(self, db):
        self.db = db
        self.organisations = db["organisations"]
        self.communities = db["communities"]
        self.memberships = db["memberships"]
        self.join_requests = db["join_requests"]
        self.invitations = db["invitations"]
        self.profiles = db["profiles"]
        self.directory_links = db["directory_links"]
        self.directory_members = db["directory_members"]
        self.turns = Turns(db)
        self.recounts = Recounts(db)

    def prepare(self):
        """Indexes, and records kept in older shapes brought to today's."""
        self.communities.create_index([("organisation", ASCENDING), ("slug", ASCENDING)], unique=True)
        # Lists page in _id order within one community or person: equality, then the page key.
        self.memberships.create_index([("community_id", ASCENDING), ("_id", ASCENDING)])
        self.memberships.create_index([("user_id", ASCENDING), ("_id", ASCENDING)])
        self.join_requests.create_index([("community_id", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)])
        self.join_requests.create_index("pending_key", unique=True, sparse=True)
        self.invitations.create_index("pending_key", unique=True, sparse=True)
        self.directory_links.create_index("group_id")
        self.directory_links.create_index("community_id")
        self.directory_members.create_index("user_id")
        once(self.db, PERSON_IDS, self.migrate_person_ids)

    def migrate_person_ids(self):
        """Give records kept before persons were an organisation's the person's id
        (``"<organisation>:<sub>"``); an invitee's organisation is taken to be the community's."""
        move_to_person_ids(self.memberships, "community_id", lambda m: m.get("organisation"))
        for collection in (self.join_requests, self.invitations):
            for record in collection.find():
                if is_person_id(record["user_id"]):
                    continue
                organisation = record.get("organisation") or (
                    self.communities.find_one({"_id": record["community_id"]}) or {}).get("organisation")
                person = person_id(organisation, record["user_id"])
                change = {"user_id": person}
                if record.get("pending_key"):
                    change["pending_key"] = pair_id(record["community_id"], person)
                collection.update_one({"_id": record["_id"]}, {"$set": change})

    def recount(self):
        """Member and owner counts checked against the memberships themselves, and those a
        process left off put right (``commonplace.recounts``); the communities put right."""
        checked = self.recounts.due(self.communities, {})
        # Counted here from an indexed find, not by an aggregation: the embedded store runs
        # an aggregation over the whole collection, and FerretDB has no $eq in $group.
        member_counts, owner_counts = Counter(), Counter()
        for membership in self.memberships.find({"community_id": {"$in": checked}, "active": True},
                                                {"community_id": 1, "role": 1}):
            member_counts[membership["community_id"]] += 1
            owner_counts[membership["community_id"]] += membership["role"] == "owner"
        differences = {}
        for community in self.communities.find({"_id": {"$in": checked}}, {"member_count": 1, "owner_count": 1}):
            members, owners = member_counts[community["_id"]], owner_counts[community["_id"]]
            stored = {"member_count": community.get("member_count"), "owner_count": community.get("owner_count")}
            if (stored["member_count"], stored["owner_count"]) != (members, owners):
                differences[community["_id"]] = (stored, {"member_count": members, "owner_count": owners})
        return self.recounts.settle(self.communities, checked, differences)

    def ping(self):
        self.organisations.find_one({}, {"_id": 1})

    # people

    def profile(self, user_id):
        return strip_outbox(self.profiles.find_one({"_id": user_id}))

    def profiles_of(self, user_ids):
        return [strip_outbox(d) for d in self.profiles.find({"_id": {"$in": user_ids}})]

    def save_profile(self, profile, previous, events):
        """Store a person's profile as ``previous`` became ``profile``; False when another call
        changed it first (two gateways saw the person at once)."""
        if previous is None:
            try:
                self.profiles.insert_one(with_events(profile, events))
                return True
            except DuplicateKeyError:
                return False
        result = self.profiles.update_one({"_id": profile["_id"], "version": previous["version"]},
                                          push_events({"$set": profile}, events))
        return result.modified_count == 1

    def all_profiles(self, *, limit, cursor):
        documents, next_cursor = paginate(self.profiles, {}, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    # organisations

    def add_organisation(self, document, events):
        try:
            self.organisations.insert_one(with_events(document, events))
        except DuplicateKeyError:
            raise Conflict(f"an organisation with slug {document['_id']!r} exists") from None

    def organisation(self, slug):
        return strip_outbox(self.organisations.find_one({"_id": slug}))

    # communities

    def add_community(self, community, owner, events):
        """Store a community with its owner. The owner's membership goes first: should the
        process die between the two writes, it is an orphan nobody sees, and no event says
        anything that did not happen."""
        taken = Conflict(f"the organisation already has a community with slug {community['slug']!r}",
                         {"slug": ["already taken"]})
        if self.communities.find_one(
            {"organisation": community["organisation"], "slug": community["slug"]}, {"_id": 1},
        ):
            raise taken
        self.memberships.insert_one(owner)
        try:
            self.communities.insert_one(with_events(community, events))
        except BaseException as error:
            # Whatever stopped the community (a rival with the slug, a store that refused the
            # document), its owner must not outlive it.
            self.memberships.delete_one({"_id": owner["_id"]})
            if isinstance(error, DuplicateKeyError):
                raise taken from None
            raise

    def community(self, community_id):
        return strip_outbox(self.communities.find_one({"_id": community_id}))

    def update_community(self, community_id, changes, events):
        document = self.communities.find_one_and_update(
            {"_id": community_id, "archived": False},
            push_events({"$set": {**changes, "updated_at": now()}}, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise Conflict("the community is archived and can no longer change")
        return self.community(community_id)

    def add_partner(self, community_id, partner, events):
        result = self.communities.update_one(
            {"_id": community_id, "archived": False, "partners": {"$ne": partner}},
            push_events({"$addToSet": {"partners": partner}, "$set": {"updated_at": now()}}, events),
        )
        if result.modified_count == 0:
            raise Conflict(f"{partner} is already a partner, or the community is archived")
        return self.community(community_id)

    def all_communities(self, *, limit, cursor):
        documents, next_cursor = paginate(self.communities, {}, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    def list_communities(self, query, *, limit, cursor):
        documents, next_cursor = paginate(self.communities, query, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    # memberships

    def _count_member(self, community_id, change):
        # A second write: a crash before it leaves the count off until a recount puts it right.
        self.communities.update_one({"_id": community_id}, {"$inc": {"member_count": change}})

    def membership(self, community_id, user_id):
        """The active membership of ``user_id`` in the community, or None."""
        document = self.memberships.find_one(
            {"_id": pair_id(community_id, user_id), "active": True},
        )
        return strip_outbox(document)

    def owner_count(self, community_id):
        return self.community(community_id).get("owner_count", 0)

    def _release_owner(self, community_id):
        """Count one owner fewer, unless that would leave none: the last-owner rule, atomically."""
        result = self.communities.update_one(
            {"_id": community_id, "owner_count": {"$gt": 1}}, {"$inc": {"owner_count": -1}},
        )
        if result.modified_count == 0:
            raise Conflict("the last owner cannot leave or be demoted; make someone else owner first")

    def _count_owner(self, community_id, change):
        self.communities.update_one({"_id": community_id}, {"$inc": {"owner_count": change}})

    def add_membership(self, membership, events):
        """Insert, or revive a past membership; Conflict when it is already active."""
        try:
            self.memberships.insert_one(with_events(membership, events))
        except DuplicateKeyError:
            fields = {k: v for k, v in membership.items() if k != "_id"}
            result = self.memberships.update_one(
                {"_id": membership["_id"], "active": False}, push_events({"$set": fields}, events),
            )
            if result.modified_count == 0:
                raise Conflict("already a member of this community") from None
        self._count_member(membership["community_id"], 1)
        if membership["role"] == "owner":
            self._count_owner(membership["community_id"], 1)

    def end_membership(self, community_id, user_id, role, how, events, even_last_owner=False):
        """End an active membership held with ``role``; an owner only while another remains
        (``even_last_owner``: the directory deprovisioned them, and no rule keeps them)."""
        if role == "owner" and even_last_owner:
            self._count_owner(community_id, -1)
        elif role == "owner":
            self._release_owner(community_id)
        result = self.memberships.update_one(
            {"_id": pair_id(community_id, user_id), "active": True, "role": role},
            push_events({"$set": {"active": False, "ended_at": now(), "ended_how": how}}, events),
        )
        if result.modified_count == 0:
            if role == "owner":
                self._count_owner(community_id, 1)
            raise Conflict("that membership changed meanwhile; try again")
        self._count_member(community_id, -1)

    def set_role(self, community_id, user_id, previous, role, events):
        """Change an active member's role from ``previous``; demoting an owner only while another remains."""
        if previous == "owner":
            self._release_owner(community_id)
        document = self.memberships.find_one_and_update(
            {"_id": pair_id(community_id, user_id), "active": True, "role": previous},
            push_events({"$set": {"role": role}}, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            if previous == "owner":
                self._count_owner(community_id, 1)
            raise Conflict("that membership changed meanwhile; try again")
        if role == "owner":
            self._count_owner(community_id, 1)
        return strip_outbox(document)

    def list_members(self, community_id, *, role=None, limit, cursor):
        query = {"community_id": community_id, "active": True}
        if role:
            query["role"] = role
        documents, next_cursor = paginate(self.memberships, query, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    def memberships_of(self, user_id, *, limit=None, cursor=None):
        query = {"user_id": user_id, "active": True}
        if limit is None:
            return [strip_outbox(d) for d in self.memberships.find(query)]
        documents, next_cursor = paginate(self.memberships, query, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    def communities_of(self, user_id, *, limit, cursor):
        """One page of the communities ``user_id`` belongs to, each with their ``role``."""
        memberships, next_cursor = self.memberships_of(user_id, limit=limit, cursor=cursor)
        communities = {c["_id"]: c for c in self.communities.find(
            {"_id": {"$in": [m["community_id"] for m in memberships]}})}
        items = [{**strip_outbox(communities[m["community_id"]]), "role": m["role"]}
                 for m in memberships if m["community_id"] in communities]
        return items, next_cursor

    def all_memberships(self, *, limit, cursor):
        """Every active membership, for services that keep a projection of them."""
        documents, next_cursor = paginate(self.memberships, {"active": True}, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    # join requests

    def add_join_request(self, request, events):
        try:
            self.join_requests.insert_one(with_events(request, events))
        except DuplicateKeyError:
            raise Conflict("you have already asked to join; the request is pending") from None

    def join_request(self, community_id, request_id):
        return strip_outbox(self.join_requests.find_one({"_id": request_id, "community_id": community_id}))

    def decide_join_request(self, request_id, status, decided_by, events):
        document = self.join_requests.find_one_and_update(
            {"_id": request_id, "status": "pending"},
            push_events({
                "$set": {"status": status, "decided_at": now(), "decided_by": decided_by},
                "$unset": {"pending_key": ""},
            }, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise Conflict("the join request has already been decided")
        return strip_outbox(document)

    def list_join_requests(self, community_id, *, status, limit, cursor):
        documents, next_cursor = paginate(
            self.join_requests, {"community_id": community_id, "status": status},
            limit=limit, cursor=cursor,
        )
        return [strip_outbox(d) for d in documents], next_cursor

    # invitations

    def add_invitation(self, invitation, events):
        try:
            self.invitations.insert_one(with_events(invitation, events))
        except DuplicateKeyError:
            raise Conflict("that person already has a pending invitation") from None

    def invitation(self, invitation_id):
        return strip_outbox(self.invitations.find_one({"_id": invitation_id}))

    def pending_join_request(self, community_id, user_id):
        return strip_outbox(self.join_requests.find_one({"pending_key": pair_id(community_id, user_id)}))

    def pending_invitation(self, community_id, user_id):
        return strip_outbox(self.invitations.find_one({"pending_key": pair_id(community_id, user_id)}))

    def accept_invitation(self, invitation_id, events):
        document = self.invitations.find_one_and_update(
            {"_id": invitation_id, "status": "pending"},
            push_events({"$set": {"status": "accepted", "accepted_at": now()},
                         "$unset": {"pending_key": ""}}, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise Conflict("the invitation has already been used")
        return strip_outbox(document)

    # directory groups

    def directory_link(self, community_id, group_id):
        return strip_outbox(self.directory_links.find_one({"_id": pair_id(community_id, group_id), "active": True}))

    def directory_links_of_community(self, community_id):
        return [strip_outbox(d) for d in self.directory_links.find({"community_id": community_id, "active": True})]

    def directory_links_of_group(self, group_id):
        return [strip_outbox(d) for d in self.directory_links.find({"group_id": group_id, "active": True})]

    def save_directory_link(self, link, events):
        self.directory_links.update_one({"_id": link["_id"]}, push_events({"$set": link}, events), upsert=True)

    def end_directory_link(self, link_id, events):
        self.directory_links.update_one({"_id": link_id}, push_events({"$set": {"active": False}}, events))

    def memberships_in(self, community_id, *, source):
        """The community's active memberships a directory group gives."""
        return [strip_outbox(d) for d in self.memberships.find({"community_id": community_id, "active": True,
                                                                "sources": source})]

    def add_source(self, community_id, user_id, group_id):
        self.memberships.update_one({"_id": pair_id(community_id, user_id), "active": True},
                                    {"$addToSet": {"sources": group_id}})

    def drop_source(self, community_id, user_id, group_id):
        """The membership without ``group_id`` among its sources (None: there is none active)."""
        return strip_outbox(self.memberships.find_one_and_update(
            {"_id": pair_id(community_id, user_id), "active": True}, {"$pull": {"sources": group_id}},
            return_document=ReturnDocument.AFTER))

    def set_directory_members(self, group_id, organisation, added, removed):
        for user_id in added:
            self.directory_members.update_one({"_id": pair_id(group_id, user_id)}, {"$set": {
                "group_id": group_id, "user_id": user_id, "organisation": organisation}}, upsert=True)
        if removed:
            self.directory_members.delete_many({"_id": {"$in": [pair_id(group_id, u) for u in removed]}})

    def groups_of(self, user_id):
        return [d["group_id"] for d in self.directory_members.find({"user_id": user_id})]

    def erase_profile(self, user_id, events):
        self.profiles.update_one({"_id": user_id}, push_events(
            {"$set": {"name": None, "email": None, "erased": True}, "$inc": {"version": 1}}, events))
