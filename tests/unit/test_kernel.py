"""Kernel pieces that need no broker: tokens, envelope, pagination, outbox updates, config."""
import datetime

import pytest

import services.membership.domain_events  # noqa: F401 - registers the membership catalogue
from commonplace import config, tokens
from commonplace.envelope import make_event, validate_event
from commonplace.errors import Invalid, Unauthenticated
from commonplace.outbox import OUTBOX, PENDING, push_events, with_events
from commonplace.pagination import decode_cursor, encode_cursor, paginate
from services.membership.domain import slugify


def test_token_round_trips_into_an_actor():
    token = tokens.mint("s", "commonplace", user_id="ann", organisation="acme", roles=["org_admin"])
    actor = tokens.verify("s", "commonplace", token)
    assert (actor.user_id, actor.sub, actor.organisation, actor.roles) == (
        "acme:ann", "ann", "acme", ("org_admin",))
    assert actor.administers("acme") and not actor.administers("globex")


def test_a_token_whose_email_is_not_one_address_names_no_email():
    token = tokens.mint("s", "commonplace", user_id="ann", organisation="acme", email="a@x.test, victim@evil.test")
    assert tokens.verify("s", "commonplace", token).email is None


@pytest.mark.parametrize("secret,issuer,lifetime", [
    ("other", "commonplace", 1), ("s", "elsewhere", 1), ("s", "commonplace", -1),
])
def test_token_with_wrong_key_issuer_or_expiry_is_refused(secret, issuer, lifetime):
    token = tokens.mint(secret, issuer, user_id="ann", organisation="acme",
                        lifetime=datetime.timedelta(hours=lifetime))
    with pytest.raises(Unauthenticated):
        tokens.verify("s", "commonplace", token)


def test_token_without_organisation_is_only_for_platform_admins():
    with pytest.raises(Unauthenticated):
        tokens.verify("s", "commonplace", tokens.mint("s", "commonplace", user_id="ann"))
    admin = tokens.mint("s", "commonplace", user_id="root", roles=["platform_admin"])
    assert tokens.verify("s", "commonplace", admin).is_platform_admin


def test_new_event_is_a_valid_cloudevent():
    event = make_event("membership", "partner.added", subject="communities/c/partners/p",
                       data={"community_id": "c", "organisation": "o", "partner": "p", "added_by": "u"},
                       organisation="o", community="c")
    assert validate_event(event) == {}
    assert event["type"] == "commonplace.membership.partner.added"
    assert validate_event({**event, "specversion": "0.3"})
    assert validate_event({**event, "data": {"community_id": "c"}})


def test_an_event_is_checked_against_its_schema_as_it_is_made():
    from commonplace.envelope import MalformedEvent

    with pytest.raises(MalformedEvent) as missing:
        make_event("membership", "partner.added", subject="s", data={"community_id": "c", "organisation": "o"})
    assert "partner" in str(missing.value) and "added_by" in str(missing.value)
    with pytest.raises(MalformedEvent):
        make_event("membership", "partner.added", subject="s",
                   data={"community_id": "c", "organisation": None, "partner": "p", "added_by": "u"})
    # Made of a document: the schema takes what the event carries, from where it says.
    event = make_event("membership", "community.archived", subject="s",
                       data={"_id": "c", "community_id": "c", "organisation": "o", "archived_by": "u", "secret": "x"})
    assert event["data"] == {"community_id": "c", "organisation": "o", "archived_by": "u"}


def test_unknown_event_type_cannot_be_made():
    with pytest.raises(KeyError):
        make_event("membership", "thing.exploded", subject="s", data={})


def test_events_ride_with_inserts_and_updates():
    events = [{"id": "1"}]
    assert with_events({"_id": "x"}, events) == {"_id": "x", OUTBOX: events, PENDING: True}
    assert with_events({"_id": "x"}, []) == {"_id": "x"}
    update = push_events({"$set": {"a": 1}}, events)
    assert update == {"$set": {"a": 1, PENDING: True}, "$push": {OUTBOX: {"$each": events}}}


def test_pagination_walks_every_document_once(memory_db):
    collection = memory_db("pages")["items"]
    collection.insert_many([{"_id": f"{i:03}"} for i in range(7)])
    seen, cursor = [], None
    while True:
        items, cursor = paginate(collection, {}, limit=3, cursor=cursor)
        seen += [d["_id"] for d in items]
        if cursor is None:
            break
    assert seen == [f"{i:03}" for i in range(7)]


def test_cursor_round_trips_and_garbage_is_invalid():
    assert decode_cursor(encode_cursor("abc")) == "abc"
    with pytest.raises(Invalid):
        decode_cursor("%%%not-a-cursor")


def test_config_defaults_and_overrides():
    defaults = config.load({})
    assert defaults["MAX_BODY_BYTES"] == 1024 * 1024 and defaults["JWT_ISSUER"] == "commonplace"
    overridden = config.load({"RPC_TIMEOUT": "2.5", "GATEWAY_ADDRESS": "0.0.0.0:9000"})
    assert overridden["RPC_TIMEOUT"] == 2.5 and overridden["WEB_SERVER_ADDRESS"] == "0.0.0.0:9000"


@pytest.mark.parametrize("name,raw,message", [
    ("AMQP_QUEUE_TYPE", "lazy", "AMQP_QUEUE_TYPE='lazy': must be one of classic, quorum"),
    ("RPC_TIMEOUT", "soon", "RPC_TIMEOUT='soon': could not convert"),
])
def test_a_setting_that_cannot_be_used_is_refused_by_name(name, raw, message):
    with pytest.raises(config.Invalid) as refused:
        config.load({name: raw})
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize("name,slug", [("Data & Design!", "data-design"), ("Café Ops", "cafe-ops")])
def test_slugify(name, slug):
    assert slugify(name, "fallback") == slug


def test_a_name_with_nothing_to_slug_gets_the_fallback():
    assert slugify("!!!", "community-1a2b") == slugify("数据", "community-1a2b") == "community-1a2b"


def test_committed_catalogue_documents_are_current(capsys):
    import json
    import pathlib

    from commonplace.cli import main

    docs = pathlib.Path(__file__).resolve().parents[2] / "docs"
    main(["catalogue"])
    assert (docs / "events.md").read_text() == capsys.readouterr().out
    main(["catalogue", "--asyncapi"])
    generated = json.loads(capsys.readouterr().out)
    assert json.loads((docs / "asyncapi.json").read_text()) == generated
    assert "commonplace.events.registration.promoted" in {c["address"] for c in generated["channels"].values()}


def test_entrypoints_are_labelled_by_kind():
    from commonplace.handlers import DomainEventHandler
    from commonplace.metrics import entrypoint_kind
    from commonplace.rpc import RpcEntrypoint
    from gateway.entrypoints import JsonEndpoint
    from nameko.rpc import Rpc
    from nameko.timer import Timer

    kinds = [entrypoint_kind(cls.__new__(cls))
             for cls in (Rpc, RpcEntrypoint, DomainEventHandler, Timer, JsonEndpoint)]
    assert kinds == ["rpc", "rpc", "event", "timer", "http"]


def test_scoped_token_is_accepted_only_for_its_scope():
    feed = tokens.mint("s", "commonplace", user_id="ann", organisation="acme", scope="calendar")
    assert tokens.verify("s", "commonplace", feed, scope="calendar").user_id == "acme:ann"
    with pytest.raises(Unauthenticated):
        tokens.verify("s", "commonplace", feed)
    full = tokens.mint("s", "commonplace", user_id="ann", organisation="acme")
    with pytest.raises(Unauthenticated):
        tokens.verify("s", "commonplace", full, scope="calendar")


def test_cli_token_prints_a_verifiable_token_alone_on_its_last_line(capsys, monkeypatch):
    from commonplace.cli import main

    monkeypatch.setenv("JWT_SECRET", "cli-secret")
    main(["token", "--user", "ann", "--org", "acme", "--role", "org_admin"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    actor = tokens.verify("cli-secret", "commonplace", last)
    assert (actor.user_id, actor.organisation, actor.roles) == ("acme:ann", "acme", ("org_admin",))
    main(["token", "--user", "root", "--role", "platform_admin"])
    assert tokens.verify("cli-secret", "commonplace", capsys.readouterr().out.strip()).is_platform_admin
    with pytest.raises(SystemExit):
        main(["token", "--user", "ann"])


def test_verifier_remembers_a_verified_token_until_it_expires(monkeypatch):
    import time

    verifier = tokens.Verifier("commonplace", development_secret="s")
    token = tokens.mint("s", "commonplace", user_id="ann", organisation="acme",
                        lifetime=datetime.timedelta(seconds=1))
    assert verifier.verify(token).user_id == "acme:ann"
    with monkeypatch.context() as patched:
        patched.setattr(tokens, "_decoded", lambda *args: pytest.fail("verified again"))
        assert verifier.verify(token).user_id == "acme:ann"
    with pytest.raises(Unauthenticated):
        tokens.Verifier("commonplace", development_secret="other").verify(token)
    time.sleep(1.1)
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_verifier_remembers_per_scope():
    verifier = tokens.Verifier("commonplace", development_secret="s")
    feed = tokens.mint("s", "commonplace", user_id="ann", organisation="acme", scope="calendar")
    assert verifier.verify(feed, scope="calendar").user_id == "acme:ann"
    with pytest.raises(Unauthenticated):
        verifier.verify(feed)


@pytest.mark.parametrize("forged", [
    encode_cursor({"$ne": None}), encode_cursor([1, 2]), encode_cursor(None), encode_cursor(7),
])
def test_a_cursor_that_decodes_to_no_key_is_invalid(forged, memory_db):
    with pytest.raises(Invalid):
        decode_cursor(forged)
    collection = memory_db("pages")["items"]
    with pytest.raises(Invalid):
        paginate(collection, {}, cursor=forged)


def test_an_empty_cursor_is_the_first_page(memory_db):
    collection = memory_db("pages")["items"]
    collection.insert_many([{"_id": "a"}, {"_id": "b"}])
    assert [d["_id"] for d in paginate(collection, {}, limit=1, cursor="")[0]] == ["a"]


def test_an_assembled_list_pages_like_a_stored_one():
    from commonplace.pagination import paginate_list

    items = [{"k": f"{i:02}"} for i in (5, 1, 4, 2, 3)]
    seen, cursor = [], None
    while True:
        page_items, cursor = paginate_list(items, key=lambda item: item["k"], limit=2, cursor=cursor)
        seen += [item["k"] for item in page_items]
        if cursor is None:
            break
    assert seen == ["01", "02", "03", "04", "05"]


def test_remembered_answers_are_kept_per_verified_credential():
    from commonplace.idempotency import caller_of

    ann = {"actor": {"user_id": "acme:ann", "organisation": "acme"}}
    key_a, key_b = ({"api_key": {"id": key_id, "organisation": "acme", "scopes": []}} for key_id in ("k1", "k2"))
    callers = {caller_of(ann), caller_of(key_a), caller_of(key_b)}
    assert len(callers) == 3
    # The same sub of another organisation is another person; no credential, nobody to answer.
    assert caller_of({"actor": {"user_id": "globex:ann", "organisation": "globex"}}) not in callers
    assert caller_of({}) is None and caller_of({"actor": {}}) is None
