"""The knowledge service's collections.

artifacts  _id = ObjectId hex; the current content (its Markdown, and ``body_html`` rendered from it
           as it was written), its ``revision`` number and ``status``; ``updated_at`` and its
           minute, ``updated_minute``, by which search sweeps find what changed.
           An edit is one conditional update on the revision it was made from, so of two
           edits from the same revision exactly one lands, in one process or across replicas.
revisions  _id = "<artifact_id>:<number, six digits>"; immutable, one per revision. The current
           revision's record is written after the artifact; should a crash fall between, it
           is written again (from the artifact, which holds that content) before the next edit.
endorsements  _id = "<artifact_id>:<person>", ``active``; counted when an artifact is read, so
           no count can drift from the endorsements themselves.
standards  _id = "<community_id>:<topic key>" → the artifact that is the topic's standard. The
           claim is the truth; the artifacts' ``standard`` fields follow it (a retry of an
           interrupted standardisation completes them).
answers    _id = ObjectId hex; ``score`` is the sum of the answer's votes, moved by each vote.
votes      _id = "<answer_id>:<person>", ``value`` +1 or -1, changed only from the value read.
search_sweeps  _id = the shared search index's alias → ``at``, when the last sweep into it that
           completed started (``services.knowledge.search``); the next sweep reads from there.

The service's copy of communities and memberships is the kernel's (``commonplace.projection``).
"""
import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.clock import now
from commonplace.errors import Conflict
from commonplace.ids import pair_id
from commonplace.migrations import once
from commonplace.outbox import push_events, strip_outbox, with_events
from commonplace.pagination import paginate
from commonplace.rendering import render_or_escape
from commonplace.turns import Turns

RENDERED_BODIES = "bodies rendered when written"


# Answers: the accepted one first, then by score, then oldest first.
ANSWER_ORDER = [("question_id", ASCENDING), ("accepted", DESCENDING), ("score", DESCENDING), ("_id", ASCENDING)]


MINUTE = "%Y-%m-%dT%H:%M"
# A sweep asks by minute when it looks back at most this far (a day), by time beyond.
MINUTES_ASKED = 1440


def changed_at(at):
    """What every write of an artifact sets: when, and that time's minute, which sweeps ask for."""
    return {"updated_at": at, "updated_minute": at.strftime(MINUTE)}


def revision_id(artifact_id, number):
    return f"{artifact_id}:{number:06d}"


class KnowledgeRepository:
    def __init__(self, db):
        self.db = db
        self.artifacts = db["artifacts"]
        self.revisions = db["revisions"]
        self.turns = Turns(db)
        self.endorsements = db["endorsements"]
        self.standards = db["standards"]
        self.answers = db["answers"]
        self.votes = db["votes"]
        self.search_sweeps = db["search_sweeps"]

    def prepare(self):
        self.artifacts.create_index([("community_id", ASCENDING), ("_id", ASCENDING)])
        self.artifacts.create_index([("status", ASCENDING), ("review_by", ASCENDING)])
        self.revisions.create_index([("artifact_id", ASCENDING), ("_id", ASCENDING)])
        self.artifacts.create_index("updated_at")
        self.artifacts.create_index("updated_minute")
        self.endorsements.create_index([("artifact_id", ASCENDING), ("active", ASCENDING)])
        self.answers.create_index(ANSWER_ORDER)
        once(self.db, RENDERED_BODIES, self.render_bodies)

    def render_bodies(self):
        """Give artifacts and answers written before bodies were rendered as they are written
        their ``body_html`` (a body over today's budget is shown as its text, escaped)."""
        for collection in (self.artifacts, self.answers):
            for document in collection.find({"body_html": {"$exists": False}}, {"body": 1}):
                collection.update_one({"_id": document["_id"], "body_html": {"$exists": False}},
                                      {"$set": {"body_html": render_or_escape(document["body"])}})

    def ping(self):
        self.artifacts.find_one({}, {"_id": 1})

    # artifacts

    def add_artifact(self, artifact, revision, events):
        """Keep a new artifact and its first revision; one of the same id (a draft asked for
        twice) stays as it was, and is returned."""
        try:
            self.artifacts.insert_one(with_events({**artifact, **changed_at(artifact["updated_at"])}, events))
        except DuplicateKeyError:
            return self.artifact(artifact["_id"])
        self.record_revision(revision)
        return strip_outbox(artifact)

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
            push_events({"$set": {**changes, **changed_at(at)}, "$inc": {"revision": 1}}, events),
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
            push_events({"$set": {**changes, **changed_at(at)}}, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise Conflict("the artifact changed meanwhile: read it, then try again")
        return strip_outbox(document)

    def stale(self, now):
        """Published artifacts whose review_by has passed."""
        return [strip_outbox(d) for d in self.artifacts.find(
            {"status": "published", "review_by": {"$lt": now}})]

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


    # endorsements

    def endorse(self, endorsement_id, endorsement, events):
        """Record an endorsement; False (and nothing written) if it stands already."""
        try:
            self.endorsements.update_one({"_id": endorsement_id, "active": {"$ne": True}},
                                         push_events({"$set": endorsement}, events), upsert=True)
            return True
        except DuplicateKeyError:
            return False

    def withdraw_endorsement(self, endorsement_id, events):
        self.endorsements.update_one({"_id": endorsement_id, "active": True},
                                     push_events({"$set": {"active": False}}, events))

    def endorsement_count(self, artifact_id):
        return self.endorsements.count_documents({"artifact_id": artifact_id, "active": True})

    # standards

    def standard(self, community_id, key):
        return self.standards.find_one({"_id": pair_id(community_id, key)})

    def claim_standard(self, community_id, key, topic, artifact_id, previous):
        """Make ``artifact_id`` the topic's standard in place of ``previous`` (None: the first);
        Conflict if the topic's standard changed since it was read."""
        claim_id = pair_id(community_id, key)
        if previous is None:
            try:
                self.standards.insert_one({"_id": claim_id, "topic": topic, "artifact_id": artifact_id})
                return
            except DuplicateKeyError:
                pass
        elif self.standards.update_one({"_id": claim_id, "artifact_id": previous},
                                       {"$set": {"artifact_id": artifact_id, "topic": topic}}).matched_count:
            return
        raise Conflict("another standard for this topic came first: read it, then try again")

    def mark_standard(self, artifact_id, standard, events):
        """Give the artifact its ``standard`` (with its events) unless it has it already."""
        self.artifacts.update_one({"_id": artifact_id, "standard": {"$ne": standard}},
                                  push_events({"$set": {"standard": standard}}, events))

    # answers

    def add_answer(self, answer, events):
        self.answers.insert_one(with_events(answer, events))

    def answer(self, answer_id):
        return strip_outbox(self.answers.find_one({"_id": answer_id}))

    def list_answers(self, question_id, *, limit, offset):
        """One page of a question's answers in their order, and whether more follow."""
        documents = list(self.answers.find({"question_id": question_id})
                         .sort(ANSWER_ORDER[1:]).skip(offset).limit(limit + 1))
        return [strip_outbox(d) for d in documents[:limit]], len(documents) > limit

    def vote(self, answer_id, user_id, value, previous, delta, events):
        """Change ``user_id``'s vote from ``previous`` to ``value`` and the score by ``delta``;
        Conflict if their vote changed since it was read."""
        vote_id = pair_id(answer_id, user_id)
        vote = {"answer_id": answer_id, "user_id": user_id, "value": value}
        try:
            if previous is None:
                self.votes.insert_one(with_events({"_id": vote_id, **vote}, events))
            elif not self.votes.update_one({"_id": vote_id, "value": previous},
                                           push_events({"$set": vote}, events)).matched_count:
                raise Conflict("your vote changed meanwhile: read the answer, then vote again")
        except DuplicateKeyError:
            raise Conflict("your vote changed meanwhile: read the answer, then vote again") from None
        return strip_outbox(self.answers.find_one_and_update(
            {"_id": answer_id}, {"$inc": {"score": delta}}, return_document=ReturnDocument.AFTER))

    def previous_vote(self, answer_id, user_id):
        vote = self.votes.find_one({"_id": pair_id(answer_id, user_id)})
        return vote["value"] if vote else None

    def accept(self, question, answer_id, changes, events, at):
        """Record the question's accepted answer (Conflict if it changed since it was read) and
        mark the answers, which a retry of an interrupted acceptance marks again."""
        if changes:
            if not self.artifacts.update_one(
                    {"_id": question["_id"], "accepted_answer": question.get("accepted_answer")},
                    push_events({"$set": {**changes, **changed_at(at)}}, events)).matched_count:
                raise Conflict("another answer was accepted meanwhile: read the question, then try again")
        self.answers.update_many({"question_id": question["_id"], "accepted": True, "_id": {"$ne": answer_id}},
                                 {"$set": {"accepted": False}})
        self.answers.update_one({"_id": answer_id}, {"$set": {"accepted": True}})

    # what the search index reads

    def all_artifacts(self, batch=1000):
        """Every artifact, ``batch`` at a time (for building a search index): their ids first,
        then each batch by id. The embedded store reads a whole result into memory, so one
        find of every artifact held them all at once (700 MB at 100,000)."""
        ids = [d["_id"] for d in self.artifacts.find({}, {"_id": 1})]
        for start in range(0, len(ids), batch):
            yield from (strip_outbox(d) for d in self.artifacts.find({"_id": {"$in": ids[start:start + batch]}}))

    def artifacts_changed_since(self, at):
        """The artifacts changed at or after ``at``: asked by the minutes of their change where
        there are few enough of them (an equality the embedded store serves from its index; a
        range reads every artifact, 1.2 s at 100,000, where a sweep comes every 30 s)."""
        minutes, minute = [], at.replace(second=0, microsecond=0)
        until = now() + datetime.timedelta(minutes=1)  # a writer's clock a little ahead of this one
        while minute <= until and len(minutes) <= MINUTES_ASKED:
            minutes.append(minute.strftime(MINUTE))
            minute += datetime.timedelta(minutes=1)
        query = {"updated_at": {"$gte": at}}
        if len(minutes) <= MINUTES_ASKED:
            query["updated_minute"] = {"$in": minutes}
        return [strip_outbox(d) for d in self.artifacts.find(query)]

    def search_swept_at(self, index):
        """When the last complete sweep into the shared search ``index`` started (None: never)."""
        swept = self.search_sweeps.find_one({"_id": index})
        return swept["at"] if swept else None

    def search_swept(self, index, at):
        self.search_sweeps.update_one({"_id": index}, {"$set": {"at": at}}, upsert=True)
