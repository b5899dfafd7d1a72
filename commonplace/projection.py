"""A service's own copy of membership: communities, their partners, and who belongs to them.

Services other than membership decide who may see and do what in a community from their own
copy, so they keep working while the membership service is down. The copy lives in the
service's own database (collections ``communities``, ``memberships``, ``projection_sync``) and
is fed by the membership service's domain events, and caught up by RPC (``export_communities``,
``export_memberships``) at start and every ``CATCH_UP_EVERY``, again within seconds while
membership cannot be reached. Memberships missing from a full catch-up have ended.

Every copied document carries ``as_of`` (the event's time, or the catch-up's start), and an
older message never overwrites a newer state, so events and catch-ups may arrive in any order.

A service follows membership by inheriting ``FollowsMembership``: it gets ``self.communities``
(the copy, for workers), ``self.membership`` (RPC to the membership service), the event
handlers and the catch-up timer. It reacts to a membership ending or a community being
archived by overriding ``membership_ended`` and ``community_archived``.

A copy never refuses on its own. It lags its source by the time an event takes to arrive, and
someone who has just joined must not be refused (403, or 404 for a partner's member) on their
next click. So every RPC entrypoint of a following service asks membership before a refusal
stands: when the entrypoint raises NotFound or Forbidden, the communities it read from the copy
are asked of membership (``as_copied``, within half of ``RPC_TIMEOUT``), the copy is brought up
to date with the answer, and the entrypoint runs once more: its new answer stands. Only the refusal path pays; when membership cannot be reached the copy's answer
stands, as the copy is all there is then.
"""
import datetime
import functools
import logging
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.actor import CONTEXT_KEY as ACTOR
from commonplace.clock import now, parse_time
from commonplace.errors import Forbidden, NotFound, ServiceOutage
from commonplace.handlers import domain_event_handler
from commonplace.ids import pair_id
from commonplace.migrations import move_to_person_ids, once
from commonplace.permissions import is_manager, require_visible
from commonplace.visibility import can_see
from commonplace.rpc import ServiceRpc
from commonplace.storage import StoreClient
from commonplace.turns import Turns

log = logging.getLogger(__name__)

MEMBERSHIP = "commonplace.membership."
CATCH_UP_EVERY = datetime.timedelta(minutes=5)
CATCH_UP_RETRY_SECONDS = 10
COMMUNITY_FIELDS = ("organisation", "name", "domain", "visibility", "partners", "archived",
                    "knowledge_review")
EXPORT_PAGE = 500


def copied_membership(membership, active):
    """(key, fields) of a membership as a copy holds it."""
    return pair_id(membership["community_id"], membership["user_id"]), {
        "community_id": membership["community_id"], "user_id": membership["user_id"],
        "organisation": membership.get("organisation"), "role": membership["role"], "active": active}


def apply_newer(collection, document_id, fields, as_of):
    """Upsert ``fields`` into a copied document unless the stored state is newer than ``as_of``;
    whether anything but ``as_of`` changed."""
    try:
        before = collection.find_one_and_update(
            {"_id": document_id, "$or": [{"as_of": {"$lte": as_of}}, {"as_of": None}]},
            {"$set": {**fields, "as_of": as_of}}, upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
    except DuplicateKeyError:
        return False  # the stored state is newer: this message is stale
    return before is None or any(before.get(key) != value for key, value in fields.items())


class Communities:
    """The copy itself: what workers read, and what the handlers and the catch-up write."""

    def __init__(self, db):
        self.db = db
        self.communities = db["communities"]
        self.memberships = db["memberships"]
        self.sync = db["projection_sync"]
        self.turns = Turns(db)

    def prepare(self):
        self.memberships.create_index("user_id")
        self.memberships.create_index("community_id")
        # Copies kept before persons were an organisation's: the next catch-up brings them
        # under the person's id, and must not take the old ones for ended memberships.
        once(self.db, "person ids in the copy", lambda: move_to_person_ids(
            self.memberships, "community_id", lambda m: m.get("organisation")))

    # reading

    def get(self, community_id):
        """The copied community, or None."""
        return self.communities.find_one({"_id": community_id})

    def by_id(self, ids):
        return {d["_id"]: d for d in self.communities.find({"_id": {"$in": list(ids)}})}

    def membership(self, community_id, user_id):
        """``user_id``'s active membership of the community, or None."""
        return self.memberships.find_one({"_id": pair_id(community_id, user_id), "active": True})

    def members(self, community_id, roles=None):
        """The ids of the community's active members (of ``roles``, when given)."""
        query = {"community_id": community_id, "active": True, **({"role": {"$in": list(roles)}} if roles else {})}
        return [m["user_id"] for m in self.memberships.find(query, {"user_id": 1})]

    def members_among(self, community_id, user_ids):
        """Those of ``user_ids`` who are active members of the community."""
        return {m["user_id"] for m in self.memberships.find(
            {"community_id": community_id, "user_id": {"$in": list(user_ids)}, "active": True}, {"user_id": 1})}

    def visible(self, community_id, actor, what="community"):
        """(community, actor's membership) of a community ``actor`` may see; NotFound otherwise."""
        community = self.get(community_id)
        membership = self.membership(community_id, actor.user_id) if community else None
        require_visible(community, actor, membership, what=what)
        return community, membership

    def seen_by(self, actor):
        """What ``actor`` may see across communities: ``{"visible", "managed", "member"}``, sets
        of community ids (and ``user_id``), for lists that span communities."""
        memberships = {m["community_id"]: m for m in self.memberships.find({"user_id": actor.user_id, "active": True})}
        candidates = self.communities.find({} if actor.is_platform_admin else {"$or": [
            {"visibility": "public"}, {"organisation": actor.organisation}, {"partners": actor.organisation},
            {"_id": {"$in": list(memberships)}}]})
        seen = {"visible": set(), "managed": set(), "member": set(memberships), "user_id": actor.user_id}
        for community in candidates:
            membership = memberships.get(community["_id"])
            if can_see(community, actor, bool(membership)):
                seen["visible"].add(community["_id"])
                if is_manager(community, actor, membership):
                    seen["managed"].add(community["_id"])
        return seen

    # writing

    def apply_community(self, community, as_of):
        """Copy what ``community`` (an event's data, or an export) says of a community."""
        fields = {key: community[key] for key in COMMUNITY_FIELDS if key in community}
        return apply_newer(self.communities, community["community_id"], fields, as_of)

    def add_partner(self, community_id, partner):
        self.communities.update_one({"_id": community_id}, {"$addToSet": {"partners": partner}})

    def apply_membership(self, membership, active, as_of):
        key, fields = copied_membership(membership, active)
        return apply_newer(self.memberships, key, fields, as_of)

    def bring_up_to_date(self, answer, community_ids, user_id):
        """Apply membership's ``as_copied`` answer about ``community_ids`` and ``user_id``;
        whether the copy changed (a community or membership it lacked, or had ended or stale)."""
        at = parse_time(answer["at"])
        changed = False
        for community in answer["communities"]:
            changed |= self.apply_community({**community, "community_id": community["id"]}, at)
        held = set()
        for membership in answer["memberships"]:
            changed |= self.apply_membership(membership, True, at)
            held.add(membership["community_id"])
        for community_id in set(community_ids) - held:
            if self.membership(community_id, user_id) is not None:  # ended since the copy heard
                changed |= self.apply_membership({"community_id": community_id, "user_id": user_id,
                                                  "role": "member"}, False, at)
        return changed

    def apply_changed(self, collection, copies, as_of):
        """Write those of ``copies`` (``(key, fields)``, in ascending key order, as membership
        exports them) that differ from what ``collection`` holds, each on the ``as_of``
        condition (``apply_newer``); how many writes it made. A catch-up finds nearly everything
        as it was, so it reads the copy alongside the export, in the same order, in one pass,
        and writes only what changed."""
        stored = iter(collection.find({}).sort("_id", 1))
        current, previous, writes = next(stored, None), None, 0
        for key, fields in copies:
            if previous is not None and key < previous:  # out of order: looked up alone
                before = collection.find_one({"_id": key})
            else:
                while current is not None and current["_id"] < key:
                    current = next(stored, None)
                before = current if current is not None and current["_id"] == key else None
            previous = key
            if before is None or any(before.get(name) != value for name, value in fields.items()):
                apply_newer(collection, key, fields, as_of)
                writes += 1
        return writes

    def end_memberships_missing_from(self, present_keys, before):
        """After a full catch-up: active memberships the snapshot lacks have ended; returns them."""
        query = {"active": True, "_id": {"$nin": list(present_keys)}, "as_of": {"$lt": before}}
        ended = list(self.memberships.find(query))
        for membership in ended:
            self.memberships.update_one({"_id": membership["_id"], "as_of": {"$lt": before}},
                                        {"$set": {"active": False, "as_of": before}})
        return ended

    def last_catch_up(self):
        document = self.sync.find_one({"_id": "membership"})
        return document.get("at") if document else None

    def caught_up(self, at):
        """Note a full catch-up at ``at``; whether catching up had been failing until now."""
        before = self.sync.find_one_and_update(
            {"_id": "membership"}, {"$set": {"at": at}, "$unset": {"failing_since": ""}},
            upsert=True, return_document=ReturnDocument.BEFORE,
        )
        return bool(before and before.get("failing_since"))

    def catch_up_failed(self, at):
        """Note a catch-up that could not reach membership; whether it is the first of a run."""
        try:
            result = self.sync.update_one({"_id": "membership", "failing_since": None},
                                          {"$set": {"failing_since": at}}, upsert=True)
        except DuplicateKeyError:
            return False  # failing already
        return bool(result.modified_count or result.upserted_id)


class WorkersCopy:
    """The copy as one worker reads it: ``Communities``, noting which communities it read, so that
    what the worker decided from them can be checked with membership before it refuses."""

    def __init__(self, communities, worker_ctx):
        self._communities, self._worker_ctx = communities, worker_ctx
        self.read = set()

    def __getattr__(self, name):
        return getattr(self._communities, name)

    def get(self, community_id):
        self.read.add(community_id)
        return self._communities.get(community_id)

    def membership(self, community_id, user_id):
        self.read.add(community_id)
        return self._communities.membership(community_id, user_id)

    def visible(self, community_id, actor, what="community"):
        self.read.add(community_id)
        return self._communities.visible(community_id, actor, what)

    def asked_of(self, community_id, membership, user_id=""):
        """The community, from the copy, or — where the copy lacks it — from ``membership``,
        brought into the copy: a domain event of another service about a community may arrive
        before membership's ``community.created``, and a handler must not drop it for that. None
        when membership does not know it either; ServiceOutage (the handler is retried) when
        membership cannot be asked."""
        found = self.get(community_id)
        if found is not None or not community_id:
            return found
        answer = membership.as_copied(community_ids=[community_id], user_id=user_id)
        self._communities.bring_up_to_date(answer, [community_id], user_id)
        return self._communities.get(community_id)

    def confirmed_with(self, membership):
        """Ask ``membership`` about what this worker read, and bring the copy up to date with its
        answer; whether it answered (then deciding again decides on the truth)."""
        actor = self._worker_ctx.data.get(ACTOR) or {}
        community_ids = sorted(c for c in self.read if c)
        if not community_ids or not actor.get("user_id"):
            return False
        try:
            answer = membership.as_copied(community_ids=community_ids, user_id=actor["user_id"])
        except ServiceOutage:
            return False  # the copy is all there is: its answer stands
        # Decided again even when the answer changed nothing: the event the copy lacked may have
        # been applied meanwhile, between the refusal and the answer.
        self._communities.bring_up_to_date(answer, community_ids, actor["user_id"])
        return True


class MembershipProjection(DependencyProvider):
    """Hands each worker the service's copy of membership (``WorkersCopy`` of ``Communities``)."""

    store = StoreClient()

    def setup(self):
        self.communities = Communities(self.store.database())
        self.communities.prepare()

    def get_dependency(self, worker_ctx):
        return WorkersCopy(self.communities, worker_ctx)


def _asking_membership_before_refusing(method):
    """``method`` (an RPC entrypoint) whose NotFound or Forbidden stands only once membership
    has confirmed what the copy said (see the module)."""

    @functools.wraps(method)
    def decided(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (NotFound, Forbidden):
            if not self.communities.confirmed_with(self.membership_now):
                raise
        return method(self, *args, **kwargs)

    decided.asks_membership_before_refusing = True
    return decided


def _is_rpc(member):
    from commonplace.rpc import RpcEntrypoint

    return any(isinstance(entrypoint, RpcEntrypoint) for entrypoint in getattr(member, "nameko_entrypoints", ()))


def _time(event):
    return parse_time(event["time"])


@dataclass
class CaughtUp:
    """What a catch-up read and wrote: writes of communities and memberships, and the keys of
    every membership membership holds (those the copy holds besides have ended)."""
    communities: int = 0
    memberships: int = 0
    read: int = 0
    present: set = field(default_factory=set)


def catch_up(communities, export, started):
    """Bring ``communities`` (the copy) level with what ``export(method)`` yields of membership's
    ``export_communities`` and ``export_memberships`` (each in ascending id order), writing only
    what differs (on the ``started`` condition of ``apply_newer``); a ``CaughtUp``."""
    done = CaughtUp()

    def copied_communities():
        for community in export("export_communities"):
            done.read += 1
            yield community["id"], {key: community[key] for key in COMMUNITY_FIELDS if key in community}

    def copied_memberships():
        for membership in export("export_memberships"):
            done.read += 1
            key, fields = copied_membership(membership, True)
            done.present.add(key)
            yield key, fields

    done.communities = communities.apply_changed(communities.communities, copied_communities(), started)
    done.memberships = communities.apply_changed(communities.memberships, copied_memberships(), started)
    return done


class FollowsMembership:
    """A service mixin that keeps the service's own copy of membership current."""

    communities = MembershipProjection()
    membership = ServiceRpc("membership")
    # Asked on a refusal's path, within the caller's own deadline: half of it, so the caller
    # still hears an answer (the copy's, if membership is slow) before it gives up.
    membership_now = ServiceRpc("membership", share=0.5)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if _is_rpc(member) and not getattr(member, "asks_membership_before_refusing", False):
                setattr(cls, name, _asking_membership_before_refusing(member))

    def membership_ended(self, community_id, user_id):
        """Called once someone's membership has ended (left, removed, or gone at catch-up)."""

    def community_archived(self, community_id):
        """Called once a community has been archived."""

    def catching_up(self, started):
        """Called within each catch-up, to bring along more of what membership exports."""

    @domain_event_handler("membership", MEMBERSHIP + "community.created")
    def on_community_created(self, event):
        community, as_of = event["data"], _time(event)
        # The creator is its owner from that moment; their member.joined may be handled after
        # (or beside) this one, and they should not be refused what owners do in between. So
        # the membership first: whoever sees the community sees its owner.
        self.communities.apply_membership({
            "community_id": community["community_id"], "user_id": community["created_by"],
            "organisation": community["organisation"], "role": "owner"}, True, as_of)
        self.communities.apply_community(community, as_of)

    @domain_event_handler("membership", MEMBERSHIP + "community.updated")
    def on_community_updated(self, event):
        self.communities.apply_community(event["data"], _time(event))

    @domain_event_handler("membership", MEMBERSHIP + "partner.added")
    def on_partner_added(self, event):
        self.communities.add_partner(event["data"]["community_id"], event["data"]["partner"])

    @domain_event_handler("membership", MEMBERSHIP + "community.archived")
    def on_community_archived(self, event):
        community_id = event["data"]["community_id"]
        self.communities.apply_community({"community_id": community_id, "archived": True}, _time(event))
        self.community_archived(community_id)

    @domain_event_handler("membership", MEMBERSHIP + "member.joined")
    def on_member_joined(self, event):
        self.communities.apply_membership(event["data"], True, _time(event))

    @domain_event_handler("membership", MEMBERSHIP + "member.role_changed")
    def on_member_role_changed(self, event):
        self.communities.apply_membership(event["data"], True, _time(event))

    @domain_event_handler("membership", MEMBERSHIP + "member.left")
    def on_member_left(self, event):
        self._end_membership(event)

    @domain_event_handler("membership", MEMBERSHIP + "member.removed")
    def on_member_removed(self, event):
        self._end_membership(event)

    def _end_membership(self, event):
        self.communities.apply_membership(event["data"], False, _time(event))
        self.membership_ended(event["data"]["community_id"], event["data"]["user_id"])

    @timer(interval=CATCH_UP_RETRY_SECONDS, eager=True)
    def catch_up(self):
        """Bring the copy level with the membership service: at start, then every few minutes;
        after a failure (membership down) again within seconds. Logs only what it changed."""
        started = now()
        if not self.communities.turns.take("membership catch-up", CATCH_UP_RETRY_SECONDS / 2, started):
            return  # another replica of this service has this turn
        last = self.communities.last_catch_up()
        if last is not None and started - last < CATCH_UP_EVERY:
            return
        try:
            done = catch_up(self.communities, self._export, started)
            self.catching_up(started)
        except ServiceOutage as error:
            if self.communities.catch_up_failed(started):
                log.warning("membership catch-up postponed, retrying every %d s until it "
                            "answers: %s", CATCH_UP_RETRY_SECONDS, error.message)
            return
        ended = self.communities.end_memberships_missing_from(done.present, started)
        for membership in ended:
            self.membership_ended(membership["community_id"], membership["user_id"])
        was_failing = self.communities.caught_up(started)
        if done.communities or done.memberships or ended or was_failing:
            log.info("membership catch-up: %d communities and %d memberships brought up to date, "
                     "%d memberships ended", done.communities, done.memberships, len(ended))

    def _export(self, method):
        cursor = None
        while True:
            batch = getattr(self.membership, method)(limit=EXPORT_PAGE, cursor=cursor)
            yield from batch["items"]
            cursor = batch["next_cursor"]
            if cursor is None:
                return
