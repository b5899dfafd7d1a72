"""The collections of people's inboxes and emails.

notifications  _id = ObjectId hex (newest last); ``dedup`` ("<event id>|<person>", unique) keeps
               a redelivered event from telling anyone twice. ``in_app: false``: kept only for
               the person's digest. ``digest``: pending until their digest has it, then sent.
preferences    _id = the person's id; their choices per category (defaults are not stored)
emails         _id = "notice|<dedup>" or "digest|<person>|<period start>", so an email is queued
               once however often what queues it runs; pending until sent, claimed with a lease
               like a webhook delivery.
"""
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.pagination import paginate
from commonplace.storage import insert_new


class InboxRepository:
    def __init__(self, db):
        self.notifications = db["notifications"]
        self.preferences = db["preferences"]
        self.emails = db["emails"]

    def prepare(self):
        self.notifications.create_index("dedup", unique=True)
        self.notifications.create_index([("user_id", ASCENDING), ("_id", DESCENDING)])
        self.notifications.create_index([("user_id", ASCENDING), ("read_at", ASCENDING)])
        self.notifications.create_index([("digest", ASCENDING), ("created_at", ASCENDING)])
        self.emails.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])

    # notifications

    def add_notifications(self, documents):
        """Store notifications; those stored already (a redelivered event) are left as they are."""
        insert_new(self.notifications, documents)

    def notification(self, notification_id):
        return self.notifications.find_one({"_id": notification_id})

    def inbox(self, user_id, unread_only, *, limit, cursor):
        query = {"user_id": user_id, "in_app": True, **({"read_at": None} if unread_only else {})}
        return paginate(self.notifications, query, limit=limit, cursor=cursor, descending=True)

    def unread_count(self, user_id):
        return self.notifications.count_documents({"user_id": user_id, "in_app": True, "read_at": None})

    def mark_read(self, notification_id, at):
        """The notification, read (at the first time it was marked so)."""
        self.notifications.update_one({"_id": notification_id, "read_at": None}, {"$set": {"read_at": at}})
        return self.notification(notification_id)

    def mark_all_read(self, user_id, at):
        return self.notifications.update_many({"user_id": user_id, "in_app": True, "read_at": None},
                                              {"$set": {"read_at": at}}).modified_count

    def awaiting_digest(self, before):
        """{person: their notifications awaiting a digest, oldest first} of those made before ``before``."""
        waiting = {}
        for document in self.notifications.find({"digest": "pending", "created_at": {"$lt": before}}).sort(
                "created_at", ASCENDING):
            waiting.setdefault(document["user_id"], []).append(document)
        return waiting

    def digested(self, notification_ids):
        self.notifications.update_many({"_id": {"$in": list(notification_ids)}, "digest": "pending"},
                                       {"$set": {"digest": "sent"}})

    # preferences

    def preferences_of(self, user_ids):
        """{person: their stored choices} of those of ``user_ids`` who chose anything."""
        return {d["_id"]: d for d in self.preferences.find({"_id": {"$in": list(set(user_ids))}})}

    def save_preferences(self, document):
        self.preferences.replace_one({"_id": document["_id"]}, document, upsert=True)

    # emails

    def add_email(self, email):
        """Queue an email; False if it is queued already."""
        try:
            self.emails.insert_one(email)
            return True
        except DuplicateKeyError:
            return False

    def email(self, email_id):
        return self.emails.find_one({"_id": email_id})

    def due_emails(self, now, limit):
        return [d["_id"] for d in self.emails.find(
            {"status": "pending", "next_attempt_at": {"$lte": now}}, {"_id": 1}).sort(
            "next_attempt_at", ASCENDING).limit(limit)]

    def claim_email(self, email_id, lease_until):
        return self.emails.find_one_and_update(
            {"_id": email_id, "status": "pending"}, {"$set": {"status": "sending", "lease_until": lease_until}},
            return_document=ReturnDocument.AFTER)

    def release_expired_email_leases(self, now):
        return self.emails.update_many({"status": "sending", "lease_until": {"$lt": now}},
                                       {"$set": {"status": "pending", "lease_until": None}}).modified_count

    def email_attempted(self, email_id, changes):
        self.emails.update_one({"_id": email_id, "status": "sending"}, {"$set": {**changes, "lease_until": None}})
