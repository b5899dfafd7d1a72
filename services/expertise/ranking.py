"""Ranking a topic's experts fast: a process's recent read of the topic's scores, and a top-k
that checks membership only for the people it may show.

Reading every score document of a common topic costs the embedded store ~70 µs a document (a
topic of 2,000 took 140 ms), so each process keeps what it read of a (topic, community) for
``EXPERTISE_RANKING_SECONDS``: new evidence shows within that, as it shows within the bus's own
lag anyway. What must hold at once is decided on every request instead: who is unlisted or
deprovisioned (one small query), and who is still a member — asked of the copy of membership
only for the candidates that could make the page, best first, so a page costs some dozens of
indexed lookups whatever the topic's size.
"""
import heapq
import time

from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from services.expertise import domain


class TopicScores(DependencyProvider):
    """Hands workers ``read(store, topic, community_id)``: the topic's score entries in the
    community, ``[(user_id, acc, counts, links)]``, read again once ``EXPERTISE_RANKING_SECONDS`` old."""

    def setup(self):
        self.seconds = float(self.container.config["EXPERTISE_RANKING_SECONDS"])
        self.held, self.lock = {}, Semaphore()

    def get_dependency(self, worker_ctx):
        return self.read

    def read(self, store, topic, community_id):
        key, at = (topic, community_id), time.monotonic()
        held = self.held.get(key)
        if held and at - held[0] < self.seconds:
            return held[1]
        entries = entries_of(store, topic, community_id)
        with self.lock:
            if len(self.held) > 10_000:  # topics come and go: never hold more than this many
                self.held.clear()
            self.held[key] = (at, entries)
        return entries


def entries_of(store, topic, community_id):
    """The topic's score entries in the community, as the store holds them now."""
    return [(s["user_id"], s["acc"], s["counts"], s.get("links", [])) for s in store.scores_for(topic, [community_id])]


def top(entries_by_community, is_member, out, wanted, now, half_life_days):
    """The best ``wanted`` people (and whether there are more) of the communities' entries:
    each person's score summed over the communities they are still a member of (``is_member(
    community_id, user_id)``), people in ``out`` left out. People are taken best upper bound first
    (their sum over every community), and the scan stops once no one further could beat the
    ``wanted``-th found: an upper bound is never below the true score."""
    people = {}
    for community_id, entries in entries_by_community.items():
        for user_id, acc, counts, links in entries:
            if user_id not in out:
                people.setdefault(user_id, []).append((community_id, acc, counts, links))
    ranked_bounds = sorted(people.items(), key=lambda item: (-sum(e[1] for e in item[1]), item[0]))
    found, best = [], []  # best: a min-heap of the wanted + 1 highest scores found
    for user_id, parts in ranked_bounds:
        if len(best) > wanted and best[0] > sum(part[1] for part in parts):
            break
        kept = [part for part in parts if is_member(part[0], user_id)]
        if not kept:
            continue
        counts, links = {}, []
        for _, _, part_counts, part_links in kept:
            for kind, amount in part_counts.items():
                counts[kind] = counts.get(kind, 0) + amount
            links += part_links
        score = sum(part[1] for part in kept)
        found.append((user_id, score, counts, links))
        heapq.heappush(best, score)
        if len(best) > wanted + 1:
            heapq.heappop(best)
    found.sort(key=lambda f: (-f[1], f[0]))
    factor = domain.decay_factor(now, half_life_days)
    return [(user, acc / factor, counts, links) for user, acc, counts, links in found[:wanted]], len(found) > wanted
