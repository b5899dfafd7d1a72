"""Initiatives over HTTP, every service its own process: a project's life from proposal to an
outcome in the community's knowledge, with the people it concerns told along the way."""
import datetime

import pytest

import services.initiatives.domain_events  # noqa: F401 - fills the catalogue validate_event uses
from commonplace.envelope import validate_event
from tests.support.api import create_community, member_of
from tests.support.bus import EventTap
from tests.support.polling import until


@pytest.fixture
def initiative_events(amqp_uri):
    tap = EventTap(amqp_uri, "initiatives")
    yield tap
    tap.close()


def _known(platform, token, community_id):
    """The initiatives service knows the community (its copy of membership caught up)."""
    until(lambda: platform.call("GET", f"/v1/communities/{community_id}/initiatives", token).status_code == 200,
          what="the initiatives service knowing the community")


def _propose(platform, token, community_id, **fields):
    response = platform.call("POST", f"/v1/communities/{community_id}/initiatives", token,
                             {"title": "Shared runbooks", "goal": "One runbook per service", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _inbox_titles(platform, token):
    return [n["title"] for n in platform.call("GET", "/v1/notifications", token,
                                              params={"limit": 100}).json()["items"]]


def _told(platform, token, words):
    return until(lambda: [t for t in _inbox_titles(platform, token) if words in t], timeout=20,
                 what=f"a notification saying {words!r}")


def test_an_initiative_from_proposal_to_an_outcome_in_the_knowledge(platform, acme, globex, initiative_events):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    community = create_community(platform, ann, join_policy="open")
    member_of(platform, community["id"], bob)
    member_of(platform, community["id"], cat)
    _known(platform, ann, community["id"])
    initiative = _propose(platform, bob, community["id"], tags=["ops"])
    path = f"/v1/initiatives/{initiative['id']}"
    assert initiative["status"] == "proposed" and initiative["stewards"] == [acme.user_id("bob")]

    # anyone who may see the community sees it; another organisation's people do not
    assert platform.call("GET", path, ann).json()["my_role"] is None
    assert platform.call("GET", path, globex.user("gus")).status_code == 404
    listed = platform.call("GET", f"/v1/communities/{community['id']}/initiatives", ann,
                           params={"tag": "ops", "status": "proposed"}).json()
    assert [i["id"] for i in listed["items"]] == [initiative["id"]]

    assert platform.call("POST", f"{path}/start", cat).status_code == 403
    assert platform.call("POST", f"{path}/start", bob).json()["status"] == "active"
    assert platform.call("POST", f"{path}/members", cat).status_code == 200
    mine = platform.call("GET", "/v1/me/initiatives", cat, params={"role": "contributor"}).json()
    assert [i["id"] for i in mine["items"]] == [initiative["id"]]

    # a progress note reaches the others taking part, never its author
    note = platform.call("POST", f"{path}/updates", cat, {"body": "First **draft** is up"})
    assert note.status_code == 201 and "<strong>draft</strong>" in note.json()["body_html"]
    _told(platform, bob, "posted a progress note on Shared runbooks")
    assert not [t for t in _inbox_titles(platform, cat) if "progress note" in t]

    # links to the community's own knowledge only
    artifact = platform.call("POST", f"/v1/communities/{community['id']}/artifacts", ann,
                             {"kind": "guide", "title": "Paging guide", "body": "Page less."}).json()
    platform.call("POST", f"/v1/artifacts/{artifact['id']}/submit", ann)
    elsewhere = create_community(platform, ann)
    foreign = until(lambda: [r for r in [platform.call(
        "POST", f"/v1/communities/{elsewhere['id']}/artifacts", ann,
        {"kind": "guide", "title": "Other", "body": "x"})] if r.status_code == 201])[0].json()
    refused = platform.call("POST", f"{path}/links", bob, {"kind": "artifact", "id": foreign["id"]})
    assert refused.status_code == 422, refused.text
    # a draft of ann's is not bob's to see, so not his to link either
    assert platform.call("POST", f"{path}/links", bob, {"kind": "artifact", "id": artifact["id"]}).status_code == 422
    linked = platform.call("POST", f"{path}/links", ann, {"kind": "artifact", "id": artifact["id"]})
    assert linked.status_code == 201 and linked.json()["links"][0]["title"] == "Paging guide"

    # milestones
    due = (datetime.date.today() + datetime.timedelta(days=7)).isoformat()
    milestone = platform.call("POST", f"{path}/milestones", bob, {"title": "Every team has one", "due_on": due})
    assert milestone.status_code == 201
    done = platform.call("POST", f"/v1/milestones/{milestone.json()['id']}/done", cat)
    assert done.status_code == 200 and done.json()["done_by"] == acme.user_id("cat")
    _told(platform, bob, "completed Every team has one")

    # a decision: positions until it closes, then what was decided
    closes = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
    decision = platform.call("POST", f"{path}/decisions", bob,
                             {"question": "Adopt the template?", "closes_at": closes.isoformat()}).json()
    _told(platform, cat, "asks Shared runbooks to decide: Adopt the template?")
    vote = platform.call("PUT", f"/v1/decisions/{decision['id']}/vote", cat, {"position": "agree"})
    assert vote.status_code == 200 and vote.json()["tally"]["agree"] == 1
    assert platform.call("PUT", f"/v1/decisions/{decision['id']}/vote", cat, {"position": "maybe"}).status_code == 400
    early = platform.call("POST", f"/v1/decisions/{decision['id']}/outcome", bob, {"statement": "Adopted"})
    assert early.status_code == 409

    # completing: the outcome becomes a draft of the community's knowledge, by the steward
    outcome = {"kind": "lesson_learned", "title": "Runbooks pay off", "body": "Write them *before* the outage."}
    completed = platform.call("POST", f"{path}/complete", bob, {"outcome": outcome})
    assert completed.status_code == 200, completed.text
    completion = completed.json()["completion"]
    draft = platform.call("GET", f"/v1/artifacts/{completion['artifact_id']}", bob).json()
    assert draft["status"] == "draft" and draft["author"] == acme.user_id("bob") and draft["kind"] == "lesson_learned"
    assert draft["origin"] == {"kind": "initiative", "id": initiative["id"], "title": "Shared runbooks"}
    assert draft["tags"] == ["ops"]
    # finished is finished: nothing more changes it, and no second draft is made
    assert platform.call("POST", f"{path}/complete", bob, {"outcome": outcome}).status_code == 409
    assert platform.call("POST", f"{path}/updates", cat, {"body": "late"}).status_code == 409
    _told(platform, cat, "Shared runbooks is completed")

    # every change was a valid domain event, in the order it happened
    for short_type in ("initiative.proposed", "initiative.started", "initiative.member_joined",
                       "initiative.update_posted", "initiative.linked", "milestone.added", "milestone.completed",
                       "decision.opened", "decision.voted", "initiative.completed"):
        event = initiative_events.wait_for(f"commonplace.initiatives.{short_type}",
                                           lambda e: e["data"]["initiative_id"] == initiative["id"])
        assert validate_event(event) == {} and event["community"] == community["id"], short_type


def test_bad_input_gets_4xx_and_changes_nothing(platform, acme):
    ann = acme.user("ann")
    community = create_community(platform, ann)
    _known(platform, ann, community["id"])
    base = f"/v1/communities/{community['id']}/initiatives"
    for body, status in (({"title": "", "goal": "g"}, 400), ({"title": "T"}, 400),
                         ({"title": "T", "goal": "g", "tags": "ops"}, 400),
                         ({"title": "T\x00", "goal": "g"}, 400), ({"title": "T", "goal": "g", "owner": "x"}, 400)):
        assert platform.call("POST", base, ann, body).status_code == status, body
    assert platform.call("GET", base, ann).json()["items"] == []
    initiative = _propose(platform, ann, community["id"])
    path = f"/v1/initiatives/{initiative['id']}"
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    assert platform.call("POST", f"{path}/milestones", ann, {"title": "M", "due_on": yesterday}).status_code == 422
    assert platform.call("POST", f"{path}/milestones", ann, {"title": "M", "due_on": "soon"}).status_code == 400
    past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat()
    assert platform.call("POST", f"{path}/decisions", ann, {"question": "Q?", "closes_at": past}).status_code == 422
    assert platform.call("POST", f"{path}/complete", ann, {"no_outcome": "x"}).status_code == 409  # not started
    assert platform.call("POST", f"{path}/complete", ann, {}).status_code == 400
    assert platform.call("POST", f"{path}/abandon", ann, {}).status_code == 400
    assert platform.call("PATCH", path, ann, {}).status_code == 400
    assert platform.call("POST", f"{path}/links", ann, {"kind": "wiki", "id": "x"}).status_code == 400
    after = platform.call("GET", path, ann).json()
    assert after["status"] == "proposed" and after["milestones"] == [] and after["links"] == []
    assert platform.call("GET", f"{path}/decisions", ann).json()["items"] == []


def test_leaving_the_community_leaves_its_initiatives_and_facilitators_take_over(platform, acme):
    ann, bob, fay = acme.user("ann"), acme.user("bob"), acme.user("fay")
    community = create_community(platform, ann, join_policy="open")
    member_of(platform, community["id"], bob)
    member_of(platform, community["id"], fay)
    assert platform.call("PUT", f"/v1/communities/{community['id']}/members/{acme.user_id('fay')}", ann,
                         {"role": "facilitator"}).status_code == 200
    _known(platform, ann, community["id"])
    initiative = _propose(platform, bob, community["id"])
    left = platform.call("DELETE", f"/v1/communities/{community['id']}/members/{acme.user_id('bob')}", bob)
    assert left.status_code in (200, 204), left.text
    path = f"/v1/initiatives/{initiative['id']}"
    after = until(lambda: [i for i in [platform.call("GET", path, ann).json()]
                           if acme.user_id("bob") not in [*i["stewards"]]], timeout=20,
                  what="bob's leaving the initiative with the community")[0]
    assert after["stewards"] == [acme.user_id("fay")]
    assert platform.call("GET", "/v1/me/initiatives", bob).json()["items"] == []
