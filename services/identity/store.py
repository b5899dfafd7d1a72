"""The identity service's collections.

signing_keys  _id = the key's kid (its RFC 7638 thumbprint); ``generation`` (unique) orders
              them, and makes two replicas that both make the first key keep one.
"""
from pymongo.errors import DuplicateKeyError


class IdentityRepository:
    def __init__(self, db):
        self.signing_keys = db["signing_keys"]

    def prepare(self):
        self.signing_keys.create_index("generation", unique=True)

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
