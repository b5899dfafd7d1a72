"""Who knows what over HTTP, every service its own process: an accepted answer makes its author
an expert on the question's tags, the next question on them is routed to that expert, and
unlisting takes them out at once."""
from tests.support.api import create_community, member_of
from tests.support.polling import until


def _ask(platform, token, community_id, title, tags):
    return until(lambda: [r for r in [platform.call("POST", f"/v1/communities/{community_id}/artifacts", token, {
        "kind": "question", "title": title, "body": "Please help.", "tags": tags})] if r.status_code == 201],
        what="the question asked")[0].json()


def _experts(platform, token, **query):
    return platform.call("GET", "/v1/experts", token, params=query).json()["items"]


def test_an_accepted_answer_makes_an_expert_who_is_routed_the_next_question(platform, acme, globex):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    community = create_community(platform, ann, join_policy="open", domain="Site reliability")
    member_of(platform, community["id"], bob)
    member_of(platform, community["id"], cat)
    question = _ask(platform, ann, community["id"], "How much headroom?", ["capacity"])
    answer = platform.call("POST", f"/v1/artifacts/{question['id']}/answers", bob, {"body": "Keep 30 %."}).json()
    assert platform.call("POST", f"/v1/answers/{answer['id']}/accept", ann).status_code == 200

    found = until(lambda: _experts(platform, cat, topic="capacity"), 20, what="bob an expert")
    assert found[0]["user_id"] == acme.user_id("bob") and found[0]["summary"] == "1 accepted answer"
    assert found[0]["evidence"][0]["links"][0] == {"kind": "artifact", "id": question["id"],
                                                   "title": "How much headroom?"}
    assert [e["user_id"] for e in _experts(platform, cat, topic="site reliability")] == [acme.user_id("bob")]
    in_community = platform.call("GET", f"/v1/communities/{community['id']}/experts", cat,
                                 params={"topic": "capacity"}).json()["items"]
    assert [e["user_id"] for e in in_community] == [acme.user_id("bob")]
    assert _experts(platform, globex.user("gus"), topic="capacity") == []  # another organisation sees none
    assert platform.call("GET", "/v1/experts", cat).status_code == 400  # a topic is needed

    # the next question on the tag goes to bob (never to its asker)
    _ask(platform, cat, community["id"], "Headroom for batch jobs?", ["capacity"])
    until(lambda: [n for n in platform.call("GET", "/v1/notifications", bob).json()["items"]
                   if n["title"] == "A question you may be able to answer: Headroom for batch jobs?"], 20,
          what="the question routed to bob")

    # unlisted: out at once, and back when listed again
    assert platform.call("PUT", "/v1/me/expertise", bob, {"listed": False, "claims": []}).json()["listed"] is False
    assert _experts(platform, cat, topic="capacity") == []
    assert platform.call("PUT", "/v1/me/expertise", bob, {"listed": "no", "claims": []}).status_code == 400
    assert platform.call("GET", "/v1/me/expertise", bob).json() == {"listed": False, "claims": []}
    platform.call("PUT", "/v1/me/expertise", cat, {"listed": True, "claims": ["Capacity"]})
    shown = _experts(platform, ann, topic="capacity")
    assert [(e["user_id"], e["claim_only"]) for e in shown] == [(acme.user_id("cat"), True)]
