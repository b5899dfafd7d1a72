"""Growth and concurrency curves through the gateway.

Growth: for each store (the embedded store, the MongoDB wire server) and each factor (1×, 10×,
100×), a fresh platform holds ``10f`` communities, ``100f`` people each a member of ten of them
(``1,000f`` memberships; community 0 holds everyone), ``100f`` workshops (ten a community, half
of them past) and twenty registrations a person (``2,000f``; the past ones attended), and six
requests are timed: list communities, a member page from the middle of community 0, my
communities, community 0's workshops, register, transcript. The data is written straight
into the services' stores, in the shapes the services write (their domain functions and stored
forms) and with each service's copy of membership as a catch-up would leave it: seeding
100,000 memberships through the gateway would take longer than the measurements.

Concurrency: on 10× data, the read (``GET /v1/communities/{id}``), joins and registrations at
concurrency 10, 50 and 100, with one process per service on the embedded store and on the wire
server (over PostgreSQL where one is named), and with replicas (3 events, 2 membership,
2 gateways) on the wire server.

Catch-up: on each store and factor, the events service's copy of membership caught up with
membership's exports, as its timer does every five minutes (in-process, the exports read through
the membership service's own entrypoints): seconds and writes when nothing changed, when every
copied record is written again (the catch-up as it was, an upsert each), and with 1% of the
memberships changed.

Only membership, events and the gateway run: the requests timed touch nothing else.
"""
import datetime
import os
import pathlib
import tempfile
import time

import requests

from bench.load import closed_loop
from commonplace.actor import Actor, person_id
from commonplace.boundary import load
from commonplace.clock import now
from commonplace.pagination import encode_cursor
from nameko.testing.services import worker_factory

from commonplace.projection import COMMUNITY_FIELDS, Communities, apply_newer, catch_up, copied_membership
from commonplace.storage import connect
from services.events import domain as events_domain
from services.events import schemas as events_schemas
from services.events.store import WorkshopRepository, stored_workshop
from services.membership import domain as membership_domain
from services.membership import schemas as membership_schemas
from services.membership.service import MembershipService
from services.membership.store import MembershipRepository
from tests.support.platform import TEST_POSTGRESQL, Platform, free_port
from tests.support.polling import until

ORG = "scale"
# The wire server over PostgreSQL where COMMONPLACE_TEST_POSTGRESQL names a database for it.
POSTGRESQL = bool(os.environ.get(TEST_POSTGRESQL))
STORES = ("embedded", "wire") + (("wire-postgresql",) if POSTGRESQL else ())
FACTORS = (1, 10, 100)
# Over SQLite the wire server reads every document of a collection for any filter but _id: at
# 10x most requests already wait out RPC_TIMEOUT, and 100x would only time the timeout.
LARGEST = {"wire": 10}
REQUESTS, CONCURRENCY, WARM_UP = 200, 10, 20
CURVE_FACTOR, CURVE_CONCURRENCY = 10, (10, 50, 100)
CURVE_REQUESTS = {"read": 600, "join": 300, "register": 300}
REPLICAS = {"events": 2, "membership": 1}  # beyond the first process of each
BATCH = 5000


class Seeded:
    """What was seeded at ``factor``, and the ids the requests name."""

    def __init__(self, factor, newcomers):
        self.newcomers = newcomers
        self.communities, self.people, self.workshops = 10 * factor, 100 * factor, 100 * factor

    def circles(self, person):
        """The communities (by index) ``person`` belongs to: 0, and nine others spread evenly."""
        others = self.communities - 1
        return [0] + [1 + (person + k * (others // 9)) % others for k in range(9)]


def _user(name):
    return person_id(ORG, name)


def _in_batches(collection, documents):
    for start in range(0, len(documents), BATCH):
        collection.insert_many(documents[start:start + BATCH], ordered=False)


def seed(store_uri, factor, newcomers):
    """Write the data of ``factor`` (and ``newcomers`` members of community 0 registered nowhere)
    into the membership and events stores at ``store_uri``; the ``Seeded`` description."""
    at = now()
    seeded = Seeded(factor, newcomers)
    admin = Actor(user_id="root", roles=("platform_admin",))
    organisation, _ = membership_domain.register_organisation(admin, {"slug": ORG, "name": "Scale"}, now())

    members = {c: [] for c in range(seeded.communities)}
    for person in range(seeded.people):
        for c in seeded.circles(person):
            members[c].append(f"u{person}")
    members[0] += [f"n{i}" for i in range(newcomers)]

    communities, memberships = [], []
    for c in range(seeded.communities):
        owner = Actor(user_id=_user(members[c][0]), organisation=ORG)
        data = load(membership_schemas.CommunityCreateSchema, {"name": f"Community {c}", "domain": f"d{c % 7}"})
        community, owner_membership, _ = membership_domain.create_community(owner, data, True, now())
        community.update(member_count=len(members[c]), owner_count=1)
        communities.append(community)
        memberships.append(owner_membership)
        memberships += [membership_domain.new_membership(community["_id"], _user(name), ORG, "member", "join", now())
                        for name in members[c][1:]]
    seeded.community_ids = [c["_id"] for c in communities]

    workshops, registrations = [], []
    for w in range(seeded.workshops):
        community = communities[w % seeded.communities]
        past = (w // seeded.communities) % 2 == 0
        starts = at - datetime.timedelta(days=1 + w % 30) if past else at + datetime.timedelta(days=7, minutes=w)
        data = load(events_schemas.WorkshopCreateSchema, {
            "title": f"Workshop {w}", "format": "workshop", "starts_at": starts.isoformat(),
            "ends_at": (starts + datetime.timedelta(hours=1)).isoformat(), "timezone": "UTC", "credits": 1})
        owner = Actor(user_id=_user(members[w % seeded.communities][0]), organisation=ORG)
        workshop, _ = events_domain.schedule(community, owner, {"role": "owner"}, data,
                                             starts - datetime.timedelta(days=1))
        workshops.append(stored_workshop(workshop))
    by_community = {}
    for workshop in workshops:
        by_community.setdefault(workshop["community_id"], []).append(workshop)
    for person in range(seeded.people):
        second = seeded.community_ids[seeded.circles(person)[1]]
        for workshop in by_community[seeded.community_ids[0]] + by_community[second]:
            registration = events_domain.new_registration(workshop, _user(f"u{person}"), "confirmed", at)
            if workshop["starts_at"] < at:
                registration.update(attendance="attended", credits_awarded=workshop["credits"])
            registrations.append(registration)
            workshop["confirmed_count"] += 1
    seeded.future_workshops = [w["_id"] for w in by_community[seeded.community_ids[0]] if w["starts_at"] > at]
    seeded.middle_member = sorted(m["_id"] for m in memberships
                                  if m["community_id"] == seeded.community_ids[0])[len(members[0]) // 2]

    client = connect(store_uri)
    try:
        membership, events = client["membership"], client["events"]
        # As a new deployment's first start leaves the stores: indexes made, migrations done.
        for prepared in (MembershipRepository(membership), WorkshopRepository(events), Communities(events)):
            prepared.prepare()
        membership["organisations"].insert_one(organisation)
        _in_batches(membership["communities"], communities)
        _in_batches(membership["memberships"], memberships)
        _in_batches(events["communities"], [
            {"_id": c["_id"], **{k: c[k] for k in COMMUNITY_FIELDS if k in c}, "as_of": at} for c in communities])
        copies = []
        for m in memberships:
            key, fields = copied_membership(m, True)
            copies.append({"_id": key, **fields, "as_of": at})
        _in_batches(events["memberships"], copies)
        # The copy is as a catch-up at ``at`` leaves it; the next is due after the run.
        events["projection_sync"].insert_one({"_id": "membership", "at": at + datetime.timedelta(days=1)})
        _in_batches(events["workshops"], workshops)
        _in_batches(events["registrations"], registrations)
    finally:
        client.close()
    return seeded


class Failed:
    """What a request that got no answer at all counts as."""

    status_code = 599


def _send(session, method, url, token):
    try:
        return session.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    except requests.RequestException:
        return Failed()


def start(root, amqp_uri, store):
    """A platform on a new ``store`` (as ``Platform`` names them), its services not started yet."""
    # Production's intervals: the tests' one-second recounts and sweeps would be measured too.
    platform = Platform(root, amqp_uri, store=store, LOG_LEVEL="WARNING", RPC_TIMEOUT="5",
                        RECOUNT_INTERVAL="60", OUTBOX_INTERVAL="2")
    platform.gateways = [platform.base]
    return platform


def run_services(platform, replicas=False):
    """Membership, events and a gateway (with ``replicas``: REPLICAS more, and a second gateway)."""
    for name in ("membership", "events", "gateway"):
        platform.start(name)
    if replicas:
        for name, count in REPLICAS.items():
            for n in range(count):
                platform.start(name, replica=f"{name}-{n + 2}")
        port = free_port()
        platform.start("gateway", replica="gateway-2", GATEWAY_ADDRESS=f"127.0.0.1:{port}")
        platform.gateways.append(f"http://127.0.0.1:{port}")
    platform.wait_healthy(timeout=300, services=["membership", "events"])
    for base in platform.gateways:
        # /healthz answers 503 here (knowledge and notifications do not run), but it answers.
        until(lambda b=base: _send(requests, "GET", f"{b}/healthz", "").status_code != Failed.status_code,
              60, 0.2, what=f"the gateway at {base}")


def growth_requests(platform, seeded):
    """name: request(session, index) of the growth run."""
    base, token = platform.base, platform.token("u0", ORG)
    big = seeded.community_ids[0]
    newcomers = [platform.token(f"n{i}", ORG) for i in range(seeded.newcomers)]
    deep = encode_cursor(seeded.middle_member)
    return {
        "list_communities": lambda s, i: _send(s, "GET", f"{base}/v1/communities", token),
        "member_page_deep": lambda s, i: _send(s, "GET", f"{base}/v1/communities/{big}/members?cursor={deep}", token),
        "my_communities": lambda s, i: _send(s, "GET", f"{base}/v1/me/communities", token),
        "community_workshops": lambda s, i: _send(s, "GET", f"{base}/v1/communities/{big}/workshops", token),
        "register": lambda s, i: _send(
            s, "POST", f"{base}/v1/workshops/{seeded.future_workshops[i % len(seeded.future_workshops)]}"
                       "/registrations", newcomers[i]),
        "transcript": lambda s, i: _send(s, "GET", f"{base}/v1/me/transcript", token),
    }


def catch_up_figures(store_uri):
    """Seconds and writes of the events service's catch-up on the seeded store (see the module)."""
    client = connect(store_uri)
    try:
        membership = worker_factory(MembershipService, store=MembershipRepository(client["membership"]))
        copy = Communities(client["events"])

        def export(method):
            cursor = None
            while True:
                batch = getattr(membership, method)(limit=500, cursor=cursor)
                yield from batch["items"]
                if not (cursor := batch["next_cursor"]):
                    return

        figures = {}
        began = time.perf_counter()
        done = catch_up(copy, export, now())
        figures["unchanged"] = {"seconds": time.perf_counter() - began, "writes": done.communities + done.memberships,
                                "read": done.read}
        began, writes, started = time.perf_counter(), 0, now()
        for community in export("export_communities"):
            apply_newer(copy.communities, community["id"],
                        {key: community[key] for key in COMMUNITY_FIELDS if key in community}, started)
            writes += 1
        for item in export("export_memberships"):
            apply_newer(copy.memberships, *copied_membership(item, True), started)
            writes += 1
        figures["every_record_written"] = {"seconds": time.perf_counter() - began, "writes": writes, "read": writes}
        changed = list(client["membership"]["memberships"].find({}, {"_id": 1}).limit(max(1, done.read // 100)))
        client["membership"]["memberships"].update_many({"_id": {"$in": [m["_id"] for m in changed]}},
                                                        {"$set": {"role": "facilitator"}})
        began = time.perf_counter()
        done = catch_up(copy, export, now())
        figures["one_percent_changed"] = {"seconds": time.perf_counter() - began,
                                          "writes": done.communities + done.memberships, "read": done.read}
        return figures
    finally:
        client.close()


def growth(amqp_uri, stores=STORES, factors=FACTORS, catch_ups=True):
    """Each figure printed as it is measured: 100x takes a while, and a failure keeps what came before."""
    results = {}

    def measured(name, figures):
        print(name, figures, flush=True)
        results[name] = figures

    for store in stores:
        for factor in [f for f in factors if f <= LARGEST.get(store, f)]:
            with tempfile.TemporaryDirectory() as directory:
                platform = start(pathlib.Path(directory), amqp_uri, store)
                try:
                    began = datetime.datetime.now()
                    seeded = seed(platform.store_uri, factor, REQUESTS)
                    seeding = (datetime.datetime.now() - began).total_seconds()
                    for case, figures in (catch_up_figures(platform.store_uri) if catch_ups else {}).items():
                        measured(f"catch_up_{store}_{factor}x_{case}",
                                 {**figures, "per_second": figures["read"] / max(figures["seconds"], 1e-9)})
                    run_services(platform)
                    for name, request in growth_requests(platform, seeded).items():
                        if name != "register":
                            closed_loop(request, WARM_UP, CONCURRENCY)
                        measured(f"scale_{store}_{factor}x_{name}",
                                 {**closed_loop(request, REQUESTS, CONCURRENCY), "seeded_seconds": seeding})
                finally:
                    platform.close()
    return results


def curve_requests(platform, seeded, level):
    """name: request(session, index) at concurrency ``level``, sent to the gateways in turn;
    joins and registrations by people who have not joined or registered at another level."""
    big, future = seeded.community_ids[0], seeded.future_workshops
    offset = CURVE_CONCURRENCY.index(level) * CURVE_REQUESTS["register"]
    reader = platform.token("u0", ORG)
    joiners = [platform.token(f"j{level}-{i}", ORG) for i in range(CURVE_REQUESTS["join"])]
    registrants = [platform.token(f"n{offset + i}", ORG) for i in range(CURVE_REQUESTS["register"])]

    def through(index):
        return platform.gateways[index % len(platform.gateways)]

    return {
        "read": lambda s, i: _send(s, "GET", f"{through(i)}/v1/communities/{big}", reader),
        "join": lambda s, i: _send(s, "POST", f"{through(i)}/v1/communities/{big}/join", joiners[i]),
        "register": lambda s, i: _send(
            s, "POST", f"{through(i)}/v1/workshops/{future[i % len(future)]}/registrations", registrants[i]),
    }


def concurrency(amqp_uri):
    results = {}
    registrations = CURVE_REQUESTS["register"] * len(CURVE_CONCURRENCY)
    wire = "wire-postgresql" if POSTGRESQL else "wire"
    for store, replicas in (("embedded", False), (wire, False), (wire, True)):
        with tempfile.TemporaryDirectory() as directory:
            platform = start(pathlib.Path(directory), amqp_uri, store)
            try:
                seeded = seed(platform.store_uri, CURVE_FACTOR, registrations)
                run_services(platform, replicas)
                setup = "replicas" if replicas else "one_process"
                for level in CURVE_CONCURRENCY:
                    requests_at_level = curve_requests(platform, seeded, level)
                    closed_loop(requests_at_level["read"], WARM_UP, level)
                    for name, request in requests_at_level.items():
                        results[f"curve_{store}_{setup}_{name}_c{level}"] = closed_loop(
                            request, CURVE_REQUESTS[name], level)
            finally:
                platform.close()
    return results


def growth_ratios(results):
    """p99 at each larger factor over p99 at 1x, per store and request (the growth goal: within 2x)."""
    ratios = {}
    for name, figures in results.items():
        if name.startswith("scale_") and "_1x_" not in name:
            store, factor, request = name.removeprefix("scale_").split("_", 2)
            baseline = results.get(f"scale_{store}_1x_{request}")
            if baseline:
                ratios[f"{store} {request}: p99 {factor} / 1x"] = figures["p99_ms"] / baseline["p99_ms"]
    return ratios


def run(amqp_uri, stores=STORES, factors=FACTORS, curves=True, catch_ups=True):
    return {**growth(amqp_uri, stores, factors, catch_ups), **(concurrency(amqp_uri) if curves else {})}
