"""The expertise service: who knows what, from what people did as the platform's domain events
show it, and questions routed to the people who know their tags.

It hears knowledge (answers accepted, standards, published artifacts, reviews, questions),
events (workshops facilitated, credits), learning (pathway credits), initiatives (outcomes) and
identity (people deprovisioned) and keeps evidence and scores of its own (``domain``). Who may
be seen is decided per request from its copy of membership: only members still count, only
communities the caller may see, only people who are listed.
"""
import datetime

from nameko.dependency_providers import Config

from commonplace.actor import CurrentActor
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.handlers import domain_event_handler
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import decode_offset, offset_cursor, page
from commonplace.projection import FollowsMembership
from commonplace.rpc import rpc
from commonplace.storage import Storage
from commonplace.timers import every
from services.expertise import domain, ranking
from services.expertise import schemas as s
from services.expertise.domain_events import new_event
from services.expertise.store import ExpertiseRepository

EVIDENCE = {
    "knowledge": ("answer.accepted", "artifact.standardised", "artifact.published", "artifact.approved",
                  "artifact.changes_requested"),
    "events": ("workshop.scheduled", "workshop.cancelled", "credits.awarded", "credits.revoked"),
    "learning": ("completion.awarded",),
    "initiatives": ("initiative.completed",),
}
FACILITATORS = ("facilitator",)
# How many of a tag's best a question's routing looks at: enough to pass over the asker and
# those who had their five this week.
ROUTING_CANDIDATES = 50


def hears_evidence(service_cls):
    """A handler of each event type that is evidence, each handing the event to ``_learn``."""
    for source, types in EVIDENCE.items():
        for short_type in types:
            def hear(self, event):
                self._learn(event)

            hear.__name__ = hear.__qualname__ = f"on_{source}_{short_type.replace('.', '_')}"
            setattr(service_cls, hear.__name__,
                    domain_event_handler(source, f"commonplace.{source}.{short_type}")(hear))
    return service_cls


@hears_evidence
class ExpertiseService(HealthCheck, FollowsMembership):
    name = "expertise"

    store = Storage(ExpertiseRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()
    config = Config()
    topic_scores = ranking.TopicScores()

    @property
    def half_life(self):
        return self.config["EXPERTISE_HALF_LIFE_DAYS"]

    # evidence

    def _learn(self, event):
        data = event["data"]
        community = self.communities.asked_of(event.get("community") or data.get("community_id"), self.membership_now,
                                              data.get("author") or data.get("answer_author") or data.get("user_id") or "")
        if community is None:
            return  # no such community: nothing anyone may see
        keep, forget = domain.read(event, community)
        touched = set()
        for source, user_id in forget:
            touched |= self.store.forget_evidence(source, user_id)
        for piece in keep:
            self.store.keep_evidence(piece)
            touched.add((piece["user_id"], piece["community_id"]))
        for user_id, community_id in touched:
            self._score(user_id, community_id)

    def _score(self, user_id, community_id):
        self.store.replace_scores(user_id, community_id, domain.scores(
            user_id, community_id, self.store.evidence_in(user_id, community_id), self.half_life))

    def catching_up(self, started):
        """Scores worked out with another half-life than the one set are worked out again."""
        if self.store.half_life() != self.half_life:
            for user_id, community_id in self.store.pairs_with_evidence():
                self._score(user_id, community_id)
            self.store.set_half_life(self.half_life)

    # the directory

    def _ranked(self, topic, community_ids, wanted):
        """([(user_id, score, counts, links)] of the best ``wanted`` on ``topic`` over
        ``community_ids``, whether there are more): listed people, each counted where they are
        still a member."""
        return ranking.top({c: self.topic_scores(self.store, topic, c) for c in community_ids},
                           self.communities.membership, self.store.unlisted(), wanted, now(), self.half_life)

    def _claims(self, topic, community_ids, ranked):
        """People who say they know ``topic`` and have no evidence of it yet, members of one of
        ``community_ids``."""
        have = {user for user, *_ in ranked}
        claimants = [u for u in self.store.claimants(topic) if u not in have]
        return sorted(u for u in claimants if any(self.communities.membership(c, u) for c in community_ids))

    def _directory(self, topic, community_ids, params):
        topic, offset = topic.strip().lower(), decode_offset(params["cursor"])
        ranked, more = self._ranked(topic, community_ids, offset + params["limit"])
        everyone = ranked if more else ranked + [
            (user, 0.0, {}, []) for user in self._claims(topic, community_ids, ranked)]
        shown = everyone[offset:offset + params["limit"]]
        items = [{"user_id": user, "topic": topic, "score": round(score, 3), "claim_only": not counts,
                  "summary": domain.summary(counts), "evidence": domain.evidence_of(counts, links)}
                 for user, score, counts, links in shown]
        return page(dump(s.ExpertSchema, items, many=True),
                    offset_cursor(offset, len(shown), more or offset + len(shown) < len(everyone)))

    @rpc
    def experts(self, query):
        actor = self.actor()
        params = load(s.ExpertsQuerySchema, query)
        if params.get("community"):
            self.communities.visible(params["community"], actor)
            communities = {params["community"]}
        else:
            communities = self.communities.seen_by(actor)["visible"]
        return self._directory(params["topic"], communities, params)

    @rpc
    def community_experts(self, community_id, query):
        actor = self.actor()
        self.communities.visible(community_id, actor)
        params = load(s.CommunityExpertsQuerySchema, query)
        return self._directory(params["topic"], {community_id}, params)

    @rpc
    def my_expertise(self):
        found = self.store.profile(self.actor().user_id) or {}
        return dump(s.ExpertiseSchema, {"listed": found.get("listed", True), "claims": found.get("claims", [])})

    @rpc
    def set_expertise(self, fields):
        actor = self.actor()
        chosen = domain.profile(actor.user_id, load(s.ExpertiseSetSchema, fields), now())
        self.store.save_profile(chosen, [new_event("expertise.updated", subject=f"people/{actor.user_id}",
                                                   organisation=actor.organisation, data={
                                                       "user_id": actor.user_id, "listed": chosen["listed"],
                                                       "claims": chosen["claims"]})])
        return dump(s.ExpertiseSchema, chosen)

    # routing

    @domain_event_handler("knowledge", "commonplace.knowledge.question.asked")
    def on_question_asked(self, event):
        """A new question goes to the top listed experts on its tags in its community."""
        data, at = event["data"], now()
        question = {"_id": data["artifact_id"], "community_id": data["community_id"], "title": data["title"],
                    "tags": data.get("tags") or [], "asked_by": data["author"], "asked_at": at,
                    "answered": False, "escalated": False, "routed": False}
        if not self.store.add_question(question) and self.store.question(question["_id"])["routed"]:
            return
        ranked = {}
        for tag in domain.topics_of(question["tags"], None):
            for user, score, counts, _ in self._ranked(tag, {question["community_id"]}, ROUTING_CANDIDATES)[0]:
                total, _ = ranked.get(user, (0.0, None))
                ranked[user] = (total + score, counts)
        candidates = sorted(((u, sc, c) for u, (sc, c) in ranked.items()), key=lambda e: (-e[1], e[0]))
        week = self.store.routed_since([u for u, _, _ in candidates], at - datetime.timedelta(days=7))
        chosen = domain.route(candidates, question["asked_by"], self.store.profiles_of(ranked), week)
        events = [self._question_event("question.routed", question, experts=chosen)] if chosen else []
        if self.store.mark_question(question["_id"], {"routed": False}, {"routed": True, "experts": chosen}, events):
            self.store.record_routings(question["_id"], chosen, at)

    @domain_event_handler("knowledge", "commonplace.knowledge.answer.posted")
    def on_answer_posted(self, event):
        self.store.mark_question(event["data"]["question_id"], {"answered": False}, {"answered": True})

    @every("EXPERTISE_ESCALATION_INTERVAL")
    def escalate(self):
        """A question still without an answer after two days goes to the community's facilitators
        (its owners, where it has none), once."""
        for question in self.store.unanswered_since(now() - domain.ESCALATE_AFTER):
            people = (self.communities.members(question["community_id"], FACILITATORS)
                      or self.communities.members(question["community_id"], ("owner",)))
            self.store.mark_question(question["_id"], {"escalated": False}, {"escalated": True}, [
                self._question_event("question.escalated", question, facilitators=sorted(people))])

    def _question_event(self, short_type, question, **data):
        community = self.communities.get(question["community_id"]) or {}
        return new_event(short_type, subject=f"artifacts/{question['_id']}", community=question["community_id"],
                         organisation=community.get("organisation"), data={
                             "question_id": question["_id"], "community_id": question["community_id"],
                             "question_title": question["title"], "tags": question["tags"], **data})

    # people leaving

    @domain_event_handler("identity", "commonplace.identity.person.deprovisioned")
    def on_person_deprovisioned(self, event):
        """Out of the directory and of routing at once (membership's leaving follows)."""
        self.store.mark_deprovisioned(event["data"]["user_id"], True)

    @domain_event_handler("identity", "commonplace.identity.person.reactivated")
    def on_person_reactivated(self, event):
        self.store.mark_deprovisioned(event["data"]["user_id"], False)
