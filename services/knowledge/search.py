"""Knowledge search: which engine, and how it is kept current.

Unless ``SEARCH_URI`` is set, each knowledge process keeps its own index in memory
(``EmbeddedIndex``, SQLite FTS5): built from the store as the process starts, refreshed by the
service's artifact events (every replica hears every one of them, on a broadcast queue of its
own, so a write through one replica is found through all), and swept every
``SEARCH_SWEEP_INTERVAL`` for artifacts changed since the last sweep in case a broadcast was missed.

With ``SEARCH_URI``, every replica searches one OpenSearch index (``OpenSearchIndex``), which
survives restarts: nothing is built at start unless there is no index yet. It is fed by the
artifact events through one queue for the service (each event indexed once, by whichever
replica takes it), and swept by one replica a turn for what changed since the last sweep that
completed; that sweep's time is kept in the store, so what changed while OpenSearch was
unreachable (an event's indexing failing meanwhile) is indexed once it answers again. A search
while it is unreachable answers 503 at once; nothing else in knowledge needs it.

``commonplace reindex knowledge`` asks every process to rebuild: each embedded index rebuilds
itself; the shared one is rebuilt by one replica into a new index behind the alias.
"""
import datetime
import logging

import eventlet
from nameko.events import BROADCAST, EventHandler
from nameko.extensions import DependencyProvider

from commonplace.clock import now
from commonplace.errors import ServiceUnavailable
from commonplace.handlers import DomainEventHandler
from commonplace.registry import reindex_request
from commonplace.rpc import rpc
from commonplace.storage import StoreClient
from commonplace.timers import every
from services.knowledge.embedded_index import EmbeddedIndex
from services.knowledge.opensearch_index import OpenSearchIndex, SearchUnavailable
from services.knowledge.store import KnowledgeRepository

log = logging.getLogger(__name__)

ARTIFACT_EVENTS = "commonplace.knowledge.artifact.#"
REINDEX = reindex_request("knowledge")
SETTLE_SECONDS = 2
# A sweep looks this far behind the last one: writes land in the store out of time order by
# up to a worker's duration.
SWEEP_OVERLAP = datetime.timedelta(seconds=30)
# How long one replica holds the turn to build the shared index; another may try after it.
BUILD_TURN_SECONDS = 900


class Search(DependencyProvider):
    """The process's way to search: its own embedded index, or the shared one."""

    store = StoreClient()

    def setup(self):
        config = self.container.config
        self.shared = bool(config["SEARCH_URI"])
        self.index = (OpenSearchIndex(config["SEARCH_URI"], config["SEARCH_INDEX"], config["SEARCH_TIMEOUT"])
                      if self.shared else None)
        self.swept_at = None
        self.sweep_seconds = config["SEARCH_SWEEP_INTERVAL"]

    def start(self):
        if self.shared:
            # OpenSearch may be down as the service starts: it starts anyway, and the sweeps
            # build the index once it answers.
            self.container.spawn_managed_thread(self.sweep, identifier="search-first-sweep")
            return
        self.rebuild()
        # The service's consumers start beside this provider, not before it: what was written
        # before this process's broadcast queue was bound is swept up once it surely is.
        self.container.spawn_managed_thread(self._settle, identifier="search-settle")

    def _settle(self):
        eventlet.sleep(SETTLE_SECONDS)
        self.sweep()

    def _artifacts(self):
        return KnowledgeRepository(self.store.database())

    # keeping it current

    def rebuild(self):
        """Build a new index from the store, then swap it in; the number of artifacts (None when
        another replica has the turn to rebuild the shared index)."""
        if self.shared:
            return self._build_shared()
        started = now()
        fresh = EmbeddedIndex()
        count = fresh.rebuild(self._artifacts().all_artifacts())
        self.index, self.swept_at = fresh, started
        self.sweep()  # what changed while it was built went to the index it replaced
        log.info("search index built: %d artifacts in %.1f s", count, fresh.build_seconds)
        return count

    def _build_shared(self):
        artifacts = self._artifacts()
        if not artifacts.turns.take("search index build", BUILD_TURN_SECONDS):
            return None
        try:
            count = self.index.build(artifacts.all_artifacts(), lambda started: artifacts.artifacts_changed_since(
                started - SWEEP_OVERLAP))
            artifacts.search_swept(self.index.alias, now() - SWEEP_OVERLAP)
        finally:
            artifacts.turns.give_back("search index build")
        return count

    def refresh(self, artifact_id):
        """Index the artifact as it is stored now."""
        artifact = self._artifacts().artifact(artifact_id)
        if artifact is None or self.index is None:
            return
        try:
            self.index.index(artifact)
        except SearchUnavailable as failure:
            log.warning("artifact %s not indexed now (%s): the next sweep indexes it", artifact_id, failure)

    def sweep(self):
        """Index what changed since the last sweep (a broadcast missed, a rebuild's window, an outage)."""
        if not self.shared:
            if self.index is None:
                return  # the build at start indexes everything
            started = now()
            self.index.index_all(self._artifacts().artifacts_changed_since(self.swept_at - SWEEP_OVERLAP))
            self.swept_at = started
            return
        artifacts = self._artifacts()
        if not artifacts.turns.take("search sweep", self.sweep_seconds * 0.9):
            return
        try:
            if not self.index.exists():
                self._build_shared()
                return
            started = now()
            since = artifacts.search_swept_at(self.index.alias)
            if since is None:  # an index built elsewhere (another platform, by hand): all of it
                self.index.index_all(artifacts.all_artifacts())
            else:
                self.index.index_all(artifacts.artifacts_changed_since(since - SWEEP_OVERLAP))
            artifacts.search_swept(self.index.alias, started)
        except SearchUnavailable as failure:
            log.warning("search index not swept (%s): the next sweep tries again", failure)

    # reading

    def searchable(self):
        """The index to search; ServiceUnavailable (503) until there is one."""
        if self.index is None:
            raise ServiceUnavailable("the search index is being built: try again in a few seconds")
        return self.index

    def search(self, *args, **kwargs):
        try:
            return self.searchable().search(*args, **kwargs)
        except SearchUnavailable as failure:
            raise ServiceUnavailable(str(failure)) from None

    def status(self):
        """How big the index is and when it was built (for operators)."""
        index = self.searchable()
        if not self.shared:
            return {"artifacts": index.count(), "built_at": index.built_at, "build_seconds": index.build_seconds,
                    "shared": False}
        try:
            return {**index.status(), "shared": True}
        except SearchUnavailable as failure:
            raise ServiceUnavailable(str(failure)) from None

    def get_dependency(self, worker_ctx):
        return self


class _ForEngine:
    """An event entrypoint of one kind of engine: where the other is configured, it declares no
    queue and consumes nothing (``shared``: the entrypoint feeds the shared index)."""

    def __init__(self, *args, shared, **kwargs):
        self.feeds_shared = shared
        super().__init__(*args, **kwargs)

    def setup(self):
        self.consuming = bool(self.container.config["SEARCH_URI"]) == self.feeds_shared
        if self.consuming:
            super().setup()

    def stop(self):
        if self.consuming:
            super().stop()


class _EachProcessHandler(_ForEngine, EventHandler):
    pass


class _OncePerServiceHandler(_ForEngine, DomainEventHandler):
    pass


class KeepsSearchIndex:
    """The upkeep of knowledge's search index, mixed into the service (as ``FollowsMembership``
    is): the artifact events' handler (a broadcast one per process for the embedded index, one
    for the service for the shared one), the sweep, the rebuild ``commonplace reindex knowledge``
    asks for, and the index's status."""

    search = Search()

    @_EachProcessHandler.decorator("knowledge", ARTIFACT_EVENTS, handler_type=BROADCAST, reliable_delivery=False,
                                   shared=False)
    def index_artifact(self, event):
        self.search.refresh(event["data"]["artifact_id"])

    @_OncePerServiceHandler.decorator("knowledge", ARTIFACT_EVENTS, shared=True)
    def index_artifact_once(self, event):
        self.search.refresh(event["data"]["artifact_id"])

    @every("SEARCH_SWEEP_INTERVAL")
    def sweep_search_index(self):
        self.search.sweep()

    @EventHandler.decorator("operations", REINDEX, handler_type=BROADCAST, reliable_delivery=False)
    def reindex(self, request):
        self.search.rebuild()

    @rpc
    def search_status(self):
        """How big the search index is and when it was built (for operators)."""
        status = self.search.status()
        return {**status, "built_at": status["built_at"].isoformat()}
