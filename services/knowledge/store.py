"""The knowledge service's collections.

artifacts  _id = ObjectId hex; the current content, its ``revision`` number and ``status``.
           An edit is one conditional update on the revision it was made from, so of two
           edits from the same revision exactly one lands, in one process or across replicas.
revisions  _id = "<artifact_id>:<number, six digits>"; immutable, one per revision. The current
           revision's record is written after the artifact; should a crash fall between, it
           is written again (from the artifact, which holds that content) before the next edit.

The service's copy of communities and memberships is the kernel's (``commonplace.projection``).
"""
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.errors import Conflict
from commonplace.outbox import push_events, strip_outbox, with_events
from commonplace.pagination import paginate


def revision_id(artifact_id, number):
    return f"{artifact_id}:{number:06d}"


class KnowledgeRepository:
    def __init__(self, db):
        self.artifacts = db["artifacts"]
        self.revisions = db["revisions"]
        self.ticks = db["freshness_ticks"]

    def prepare(self):
        self.artifacts.create_index([("community_id", ASCENDING), ("_id", ASCENDING)])
        self.artifacts.create_index([("status", ASCENDING), ("review_by", ASCENDING)])
        self.revisions.create_index("artifact_id")

    def ping(self):
        self.artifacts.find_one({}, {"_id": 1})

    # artifacts

    def add_artifact(self, artifact, revision, events):
        self.artifacts.insert_one(with_events(artifact, events))
        self.record_revision(revision)

    def artifact(self, artifact_id):
        return strip_outbox(self.artifacts.find_one({"_id": artifact_id}))

    def list_artifacts(self, query, *, limit, cursor):
        documents, next_cursor = paginate(self.artifacts, query, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    def edit_artifact(self, artifact, changes, revision, events, at):
        """Apply an edit made from ``artifact``'s revision; Conflict if another came first."""
        self.record_revision({**{field: artifact[field] for field in ("title", "body", "tags", "links")},
                              "artifact_id": artifact["_id"], "number": artifact["revision"],
                              "author": artifact["author"], "at": artifact["updated_at"],
                              "summary": "(recorded again after an interruption)"})
        document = self.artifacts.find_one_and_update(
            {"_id": artifact["_id"], "revision": artifact["revision"]},
            push_events({"$set": {**changes, "updated_at": at}, "$inc": {"revision": 1}}, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise Conflict("another edit came first: read the artifact, then edit again",
                           {"base_revision": ["no longer the current revision"]})
        self.record_revision(revision)
        return strip_outbox(document)

    def change(self, artifact, changes, events, at):
        """Apply a lifecycle change decided from ``artifact`` as read; Conflict if it changed
        (its status or revision) meanwhile."""
        document = self.artifacts.find_one_and_update(
            {"_id": artifact["_id"], "status": artifact["status"], "revision": artifact["revision"]},
            push_events({"$set": {**changes, "updated_at": at}}, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise Conflict("the artifact changed meanwhile: read it, then try again")
        return strip_outbox(document)

    def stale(self, now):
        """Published artifacts whose review_by has passed."""
        return [strip_outbox(d) for d in self.artifacts.find(
            {"status": "published", "review_by": {"$lt": now}})]

    def claim_tick(self, tick):
        """True for the one process that claims freshness check number ``tick``."""
        try:
            self.ticks.insert_one({"_id": tick})
            return True
        except DuplicateKeyError:
            return False

    # revisions

    def record_revision(self, revision):
        """Keep a revision; one already kept under its number stays as it was."""
        try:
            self.revisions.insert_one({**revision, "_id": revision_id(revision["artifact_id"], revision["number"])})
        except DuplicateKeyError:
            pass

    def revision(self, artifact_id, number):
        return self.revisions.find_one({"_id": revision_id(artifact_id, number)})

    def list_revisions(self, artifact_id, *, limit, cursor):
        return paginate(self.revisions, {"artifact_id": artifact_id}, limit=limit, cursor=cursor)
