"""Learning pathways over HTTP, every service its own process: progress comes from what the
platform sees (attendance the events service records, an answer the knowledge service sees
accepted, an artifact marked read), and completion puts the pathway's credits on the
transcript beside workshop credits."""
import csv
import datetime
import io

from tests.support.api import create_community, member_of, new_artifact, schedule
from tests.support.polling import until


def _progress(platform, token, pathway_id):
    return platform.call("GET", f"/v1/pathways/{pathway_id}/progress", token).json()


def test_a_pathway_from_enrolment_to_credits_on_the_transcript(platform, acme):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    community = create_community(platform, ann, join_policy="open", domain="operations")
    member_of(platform, community["id"], bob)
    member_of(platform, community["id"], cat)
    platform.call("PATCH", f"/v1/communities/{community['id']}", ann, {"knowledge_review": "none"})
    artifact = new_artifact(platform, ann, community["id"])
    workshop = schedule(platform, ann, community["id"], capacity=5, credits=1.5,
                        starts_in=datetime.timedelta(seconds=3), hours=1)
    assert platform.call("POST", f"/v1/workshops/{workshop['id']}/registrations", bob).status_code == 201
    body = {"title": "On call, ready", "description": "What every on-call engineer knows.", "credits": 4,
            "valid_for_days": 365, "groups": [
                {"title": "Foundations", "rule": "all", "steps": [{"kind": "artifact", "artifact_id": artifact["id"]},
                                                                  {"kind": "workshop", "workshop_id": workshop["id"]}]},
                {"title": "Helping others", "rule": {"at_least": 1},
                 "steps": [{"kind": "answer", "tag": "capacity"}, {"kind": "answer", "tag": "paging"}]}]}
    assert platform.call("POST", f"/v1/communities/{community['id']}/pathways", bob, body).status_code == 403
    created = until(lambda: [r for r in [platform.call("POST", f"/v1/communities/{community['id']}/pathways", ann, body)]
                             if r.status_code == 201], what="the learning service knowing the community")[0].json()
    pathway_id = created["id"]
    step_ids = [s["id"] for g in created["groups"] for s in g["steps"]]
    assert step_ids == [f"artifact-{artifact['id']}", f"workshop-{workshop['id']}", "answer-capacity", "answer-paging"]

    enrolled = platform.call("POST", f"/v1/pathways/{pathway_id}/enrol", bob)
    assert enrolled.status_code == 201 and enrolled.json()["steps_done"] == 0
    assert platform.call("POST", f"/v1/pathways/{pathway_id}/enrol", bob).status_code == 409
    read = platform.call("POST", f"/v1/pathways/{pathway_id}/steps/{step_ids[0]}/done", bob).json()
    assert read["steps_done"] == 1 and read["groups"][0]["current"]
    assert platform.call("POST", f"/v1/pathways/{pathway_id}/steps/{step_ids[1]}/done", bob).status_code == 409

    until(lambda: datetime.datetime.now(datetime.timezone.utc).isoformat() > workshop["starts_at"], 15, 0.2,
          what="the workshop starting")
    assert platform.call("PUT", f"/v1/workshops/{workshop['id']}/attendance", ann, {
        "records": [{"user_id": acme.user_id("bob"), "status": "attended"}]}).status_code == 200
    until(lambda: _progress(platform, bob, pathway_id)["steps_done"] == 2, 20, what="attendance counting")
    assert _progress(platform, bob, pathway_id)["groups"][0]["done"]

    question = new_artifact(platform, cat, community["id"], kind="question", title="How much headroom?",
                         body="For paging spikes.", tags=["capacity"])
    answer = platform.call("POST", f"/v1/artifacts/{question['id']}/answers", bob, {"body": "Keep 30 %."}).json()
    assert platform.call("POST", f"/v1/answers/{answer['id']}/accept", cat).status_code == 200
    done = until(lambda: [p for p in [_progress(platform, bob, pathway_id)] if p["status"] == "completed"], 20,
                 what="the pathway completed")[0]
    assert done["completion"]["credits"] == 4 and done["completion"]["expires_at"]

    def transcript():
        return platform.call("GET", "/v1/me/transcript", bob).json()

    listed = until(lambda: [t for t in [transcript()] if any(i["kind"] == "pathway" for i in t["items"])], 20,
                   what="the pathway on the transcript")[0]
    assert listed["total_credits"] == 5.5 and listed["by_domain"] == {"operations": 5.5}
    assert {i["kind"] for i in listed["items"]} == {"workshop", "pathway"}
    rows = list(csv.DictReader(io.StringIO(platform.call("GET", "/v1/me/transcript", bob,
                                                         headers={"Accept": "text/csv"}).text)))
    pathway_row = [r for r in rows if r["kind"] == "pathway"][0]
    assert pathway_row["pathway_id"] == pathway_id and float(pathway_row["credits"]) == 4 and pathway_row["expires_at"]
    mine = platform.call("GET", "/v1/me/pathways", bob, params={"status": "completed"}).json()["items"]
    assert [p["pathway_id"] for p in mine] == [pathway_id]
    until(lambda: [n for n in platform.call("GET", "/v1/notifications", bob).json()["items"]
                   if n["title"] == "You completed On call, ready and earned 4.0 credits"], 20,
          what="bob told of his completion")
    # managers see anyone's progress; others see only their own
    assert platform.call("GET", f"/v1/pathways/{pathway_id}/progress", ann,
                         params={"user": acme.user_id("bob")}).json()["status"] == "completed"
    assert platform.call("GET", f"/v1/pathways/{pathway_id}/progress", cat,
                         params={"user": acme.user_id("bob")}).status_code == 403


def test_a_major_revision_asks_learners_to_read_again(platform, acme):
    ann, dan = acme.user("ann"), acme.user("dan")
    community = create_community(platform, ann, join_policy="open")
    member_of(platform, community["id"], dan)
    platform.call("PATCH", f"/v1/communities/{community['id']}", ann, {"knowledge_review": "none"})
    artifact = new_artifact(platform, ann, community["id"], title="Runbook basics")
    created = until(lambda: [r for r in [platform.call("POST", f"/v1/communities/{community['id']}/pathways", ann, {
        "title": "Runbooks", "credits": 1, "groups": [{"title": "Read", "rule": "all", "steps": [
            {"kind": "artifact", "artifact_id": artifact["id"]}, {"kind": "answer", "tag": "runbooks"}]}]})]
        if r.status_code == 201], what="the learning service knowing the community")[0].json()
    platform.call("POST", f"/v1/pathways/{created['id']}/enrol", dan)
    platform.call("POST", f"/v1/pathways/{created['id']}/steps/artifact-{artifact['id']}/done", dan)
    edit = {"title": "Runbook basics", "body": "Measure, then page.", "base_revision": 1}
    assert platform.call("PUT", f"/v1/artifacts/{artifact['id']}", ann, edit).status_code == 200
    assert platform.call("PUT", f"/v1/artifacts/{artifact['id']}", ann,
                         {**edit, "body": "Rewritten.", "base_revision": 2, "major": True}).status_code == 200
    until(lambda: _progress(platform, dan, created["id"])["steps_done"] == 0, 20, what="the step reopened")
    until(lambda: [n for n in platform.call("GET", "/v1/notifications", dan).json()["items"]
                   if n["title"] == "Runbook basics was revised: read it again for Runbooks"], 20,
          what="dan asked to read it again")


def test_bad_pathways_get_4xx_and_change_nothing(platform, acme, globex):
    ann = acme.user("ann")
    community = create_community(platform, ann)
    other = create_community(platform, ann)
    foreign = new_artifact(platform, ann, other["id"], publish=False, title="Elsewhere")
    path = f"/v1/communities/{community['id']}/pathways"
    until(lambda: platform.call("GET", path, ann).status_code == 200, what="the learning copy")
    good = {"title": "P", "credits": 1, "groups": [{"title": "G", "rule": "all", "steps": [{"kind": "answer", "tag": "x"}]}]}
    for body, status in (
            ({**good, "credits": -1}, 400), ({**good, "credits": "1"}, 400), ({**good, "groups": []}, 400),
            ({**good, "valid_for_days": 0}, 400),
            ({**good, "groups": [{"title": "G", "rule": {"at_least": 2}, "steps": [{"kind": "answer", "tag": "x"}]}]}, 422),
            ({**good, "groups": [{"title": "G", "rule": "all", "steps": [{"kind": "video", "url": "x"}]}]}, 400),
            ({**good, "groups": [{"title": "G", "rule": "all", "steps": [
                {"kind": "artifact", "artifact_id": foreign["id"]}]}]}, 422),
            ({**good, "groups": [{"title": "G", "rule": "all", "steps": [
                {"kind": "workshop", "workshop_id": "0" * 24}]}]}, 422)):
        response = platform.call("POST", path, ann, body)
        assert response.status_code == status, (body, response.text)
    assert platform.call("GET", path, ann).json()["items"] == []
    assert platform.call("GET", path, globex.user("gus")).status_code == 404
