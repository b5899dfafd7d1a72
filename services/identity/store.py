"""The identity service's collections.

signing_keys        _id = the key's kid (its RFC 7638 thumbprint); ``generation`` (unique) orders
                    them, and makes two replicas that both make the first key keep one.
identity_providers  _id = the organisation's slug; one provider each (a removed one keeps its
                    document, without its secret, for the event that says so).
sign_ins            _id = the sign-in's ``state``; completed once (a condition on ``completed_at``).
sessions            _id = the SHA-256 of the session's secret.
people              _id = the person's id, ``<organisation>:<user claim>``; ``active`` false once
                    their directory deprovisioned them.
directory_users     _id = the SCIM id; ``user_name_key`` (the userName case-folded) unique within
                    the organisation; ``resource``: the SCIM resource, as JSON text.
directory_groups    _id = the SCIM id; ``members``: the SCIM ids of its users.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.outbox import push_events, strip_outbox, with_events


class IdentityRepository:
    def __init__(self, db):
        self.signing_keys = db["signing_keys"]
        self.identity_providers = db["identity_providers"]
        self.sign_ins = db["sign_ins"]
        self.sessions = db["sessions"]
        self.people = db["people"]
        self.directory_users = db["directory_users"]
        self.directory_groups = db["directory_groups"]

    def prepare(self):
        self.signing_keys.create_index("generation", unique=True)
        self.identity_providers.create_index("issuer")
        self.sign_ins.create_index("expires_at")
        self.sessions.create_index("user_id")
        self.sessions.create_index("expires_at")
        self.directory_users.create_index([("organisation", 1), ("user_name_key", 1)], unique=True)
        self.directory_users.create_index([("organisation", 1), ("external_id", 1)])
        self.directory_users.create_index("person_id")
        self.directory_groups.create_index([("organisation", 1), ("display_name_key", 1)])
        self.directory_groups.create_index("members")

    def ping(self):
        self.signing_keys.find_one({"_id": ""})

    # signing keys

    def keys(self):
        return list(self.signing_keys.find({}))

    def add_key(self, key):
        """Whether ``key`` was added (not: another of its generation came first)."""
        try:
            self.signing_keys.insert_one(key)
        except DuplicateKeyError:
            return False
        return True

    def retire_keys(self, retire_at):
        for kid, at in retire_at.items():
            self.signing_keys.update_one({"_id": kid, "retire_at": None}, {"$set": {"retire_at": at}})

    def drop_keys(self, kids):
        if kids:
            self.signing_keys.delete_many({"_id": {"$in": list(kids)}})

    # identity providers

    def provider(self, organisation):
        return strip_outbox(self.identity_providers.find_one({"_id": organisation}))

    def live_providers(self, query=None):
        return [strip_outbox(d) for d in self.identity_providers.find({**(query or {}), "removed_at": None})]

    def provider_with_issuer(self, issuer):
        return strip_outbox(self.identity_providers.find_one({"issuer": issuer, "removed_at": None}))

    def provider_for_domain(self, domain):
        return strip_outbox(self.identity_providers.find_one({"email_domains": domain, "removed_at": None}))

    def save_provider(self, document, events):
        self.identity_providers.update_one({"_id": document["_id"]}, push_events({"$set": document}, events),
                                           upsert=True)

    def update_provider(self, organisation, changes, events):
        self.identity_providers.update_one({"_id": organisation}, push_events({"$set": changes}, events))

    # sign-ins

    def add_sign_in(self, document):
        self.sign_ins.insert_one(document)

    def sign_in(self, state):
        return self.sign_ins.find_one({"_id": state})

    def complete_sign_in(self, state, now):
        """The sign-in, now marked completed; None when it already was (a code is used once)."""
        return self.sign_ins.find_one_and_update({"_id": state, "completed_at": None},
                                                 {"$set": {"completed_at": now}},
                                                 return_document=ReturnDocument.AFTER)

    def drop_sign_ins_before(self, moment):
        self.sign_ins.delete_many({"expires_at": {"$lt": moment}})

    # people

    def person(self, user_id):
        return strip_outbox(self.people.find_one({"_id": user_id}))

    def save_person(self, document, events):
        """Store the person as seen now; False when they were provisioned meanwhile (by another
        sign-in or the directory), whose document then stands."""
        if events:
            try:
                self.people.insert_one(with_events(document, events))
            except DuplicateKeyError:
                return False
            return True
        self.people.update_one({"_id": document["_id"]}, {"$set": document})
        return True

    # sessions

    def add_session(self, document, events):
        self.sessions.insert_one(with_events(document, events))

    def session(self, key):
        return strip_outbox(self.sessions.find_one({"_id": key}))

    def use_session(self, key, changes):
        self.sessions.update_one({"_id": key, "ended_at": None}, {"$set": changes})

    def end_session(self, key, changes, events):
        """Whether this call ended it (not: it had ended already)."""
        result = self.sessions.update_one({"_id": key, "ended_at": None}, push_events({"$set": changes}, events))
        return result.modified_count == 1

    def update_person(self, user_id, changes, events):
        self.people.update_one({"_id": user_id}, push_events({"$set": changes}, events))

    def deprovisioned_people(self):
        return [{"user_id": d["_id"], "at": d["deprovisioned_at"]}
                for d in self.people.find({"deprovisioned_at": {"$ne": None}}, {"deprovisioned_at": 1})
                if d.get("deprovisioned_at")]

    def live_sessions_of(self, user_id):
        return [strip_outbox(d) for d in self.sessions.find({"user_id": user_id, "ended_at": None})]

    # the directory (SCIM)

    def directory_user(self, organisation, scim_id):
        return self.directory_users.find_one({"_id": scim_id, "organisation": organisation})

    def directory_users_where(self, organisation, query):
        return list(self.directory_users.find({**query, "organisation": organisation}))

    def directory_users_by_id(self, organisation, scim_ids):
        return list(self.directory_users.find({"organisation": organisation, "_id": {"$in": list(scim_ids)}}))

    def add_directory_user(self, document):
        """False when its userName is taken in the organisation."""
        try:
            self.directory_users.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    def replace_directory_user(self, document, version=None):
        """False when its userName is taken; None when it is gone, or no longer of ``version``."""
        condition = {"_id": document["_id"], **({"version": version} if version else {})}
        try:
            result = self.directory_users.replace_one(condition, document)
        except DuplicateKeyError:
            return False
        return True if result.matched_count else None

    def drop_directory_user(self, scim_id):
        self.directory_users.delete_one({"_id": scim_id})

    def directory_group(self, organisation, scim_id):
        return strip_outbox(self.directory_groups.find_one({"_id": scim_id, "organisation": organisation,
                                                            "deleted_at": None}))

    def directory_groups_where(self, organisation, query):
        return [strip_outbox(d) for d in self.directory_groups.find({**query, "organisation": organisation,
                                                                     "deleted_at": None})]

    def groups_with_member(self, scim_id):
        return [strip_outbox(d) for d in self.directory_groups.find({"members": scim_id, "deleted_at": None})]

    def add_directory_group(self, document, events):
        self.directory_groups.insert_one(with_events(document, events))

    def replace_directory_group(self, document, events, version=None):
        """None when it is gone, or no longer of ``version``."""
        condition = {"_id": document["_id"], **({"version": version} if version else {})}
        result = self.directory_groups.update_one(condition, push_events({"$set": document}, events))
        return True if result.matched_count else None

    def drop_directory_group(self, scim_id, events):
        """Kept as a tombstone until its events are relayed (``deleted_at``), then invisible."""
        self.directory_groups.update_one({"_id": scim_id}, push_events(
            {"$set": {"deleted_at": events[0]["time"] if events else None, "members": []}}, events))
