"""``python -m tests.browser.screenshots`` (``make screenshots``): the main pages of the web app
at 1280 and 390 px wide, in docs/screenshots/, from a platform seeded with a small world."""
import eventlet

eventlet.monkey_patch()

import datetime  # noqa: E402
import pathlib  # noqa: E402
import tempfile  # noqa: E402

from commonplace import config  # noqa: E402
from tests.browser.driving import Browser, start_chromium  # noqa: E402
from tests.support.api import Org, create_community, member_of, schedule  # noqa: E402
from tests.support.platform import running_platform  # noqa: E402
from tests.support.polling import until  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = (1280, 390)


def seed(platform):
    """A small world: a community of practice with members, workshops, knowledge and a question."""
    admin = platform.token("root", roles=["platform_admin"])
    acme = Org(platform, admin, "acme")
    ann, bob = acme.user("ann"), acme.user("bob")
    guild = create_community(platform, ann, name="Service design guild", domain="design", join_policy="open",
                             description="Designers and researchers comparing notes on public services.",
                             tags=["research", "accessibility"])
    create_community(platform, ann, name="Data engineering", domain="engineering", join_policy="approval",
                     description="Pipelines, warehouses and the people who keep them running.")
    for name in ("bob", "cat", "dan"):
        member_of(platform, guild["id"], acme.user(name))
    path = f"/v1/communities/{guild['id']}"
    platform.call("PATCH", path, ann, {"knowledge_review": "none"})
    workshop = schedule(platform, ann, guild["id"], title="Usability testing clinic", capacity=10,
                        description="Bring a prototype; leave with findings.", location="Room 4, Level 2",
                        starts_in=datetime.timedelta(days=5))
    for name in ("bob", "cat"):
        platform.call("POST", f"/v1/workshops/{workshop['id']}/registrations", acme.user(name))
    artifact = until(lambda: [r for r in [platform.call("POST", f"{path}/artifacts", bob, {
        "kind": "best_practice", "title": "Plain language checklist",
        "body": "## Before you publish\n\n- Use **short sentences**.\n- Say *you*.\n- Test with real users.\n",
        "tags": ["writing", "accessibility"]})] if r.status_code == 201], what="knowledge")[0].json()
    platform.call("POST", f"/v1/artifacts/{artifact['id']}/publish", bob)
    question = platform.call("POST", f"{path}/artifacts", acme.user("cat"), {
        "kind": "question", "title": "How many users do we need for a usability test?",
        "body": "We have two weeks and a small budget.", "tags": ["research"]}).json()
    answer = platform.call("POST", f"/v1/artifacts/{question['id']}/answers", ann,
                           {"body": "Five per round, then iterate."}).json()
    platform.call("POST", f"/v1/answers/{answer['id']}/accept", acme.user("cat"))
    initiative = platform.call("POST", f"{path}/initiatives", ann, {
        "title": "Accessible forms pattern library", "tags": ["accessibility"],
        "goal": "One set of tested form patterns every service team can reuse."}).json()
    at = f"/v1/initiatives/{initiative['id']}"
    platform.call("POST", f"{at}/start", ann)
    platform.call("POST", f"{at}/members", bob)
    platform.call("POST", f"{at}/milestones", ann, {
        "title": "Audit the ten most used forms", "due_on": (datetime.date.today() + datetime.timedelta(days=12)).isoformat()})
    platform.call("POST", f"{at}/links", ann, {"kind": "artifact", "id": artifact["id"]})
    platform.call("POST", f"{at}/updates", bob, {"body": "Audited **four** forms so far: date inputs are the worst."})
    decision = platform.call("POST", f"{at}/decisions", ann, {
        "question": "Use one question per page by default?",
        "closes_at": (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).isoformat()}).json()
    platform.call("PUT", f"/v1/decisions/{decision['id']}/vote", bob, {"position": "agree"})
    pathway = until(lambda: [r for r in [platform.call("POST", f"{path}/pathways", ann, {
        "title": "Research foundations", "description": "What every researcher in the guild knows.", "credits": 3,
        "valid_for_days": 365, "groups": [
            {"title": "Read and attend", "rule": "all", "steps": [{"kind": "artifact", "artifact_id": artifact["id"]},
                                                                  {"kind": "workshop", "workshop_id": workshop["id"]}]},
            {"title": "Help others", "rule": {"at_least": 1}, "steps": [{"kind": "answer", "tag": "research"},
                                                                        {"kind": "answer", "tag": "writing"}]}]})]
        if r.status_code == 201], what="the pathway")[0].json()
    platform.call("POST", f"/v1/pathways/{pathway['id']}/enrol", ann)
    platform.call("POST", f"/v1/pathways/{pathway['id']}/steps/artifact-{artifact['id']}/done", ann)
    until(lambda: platform.call("GET", "/v1/experts", bob, params={"topic": "research"}).json()["items"],
          what="an expert on research")
    return acme, guild, workshop, artifact, question, initiative, pathway


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory, \
            running_platform(pathlib.Path(directory), config.load()["AMQP_URI"]) as platform:
        acme, guild, workshop, artifact, question, initiative, pathway = seed(platform)
        driver = start_chromium(pathlib.Path(directory) / "chromium")
        try:
            browser = Browser(driver, platform)
            browser.open("/sign-in")
            pages = {"sign-in": "/sign-in"}
            shots = []
            for width in WIDTHS:
                driver.set_window_size(width, 900)
                driver.delete_all_cookies()
                shots.append(("sign-in", width, "/sign-in"))
                browser.sign_in(acme, "ann")
                pages = {"home": "/", "communities": "/communities", "community": f"/communities/{guild['id']}",
                         "workshop": f"/workshops/{workshop['id']}", "artifact": f"/artifacts/{artifact['id']}",
                         "question": f"/artifacts/{question['id']}", "search": "/knowledge?q=users",
                         "initiative": f"/initiatives/{initiative['id']}", "pathway": f"/pathways/{pathway['id']}",
                         "experts": "/experts?topic=research",
                         "inbox": "/inbox", "transcript": "/transcript"}
                shots += [(name, width, path) for name, path in pages.items()]
            for name, width, path in shots:
                driver.set_window_size(width, 900)
                if name == "sign-in":
                    driver.delete_all_cookies()
                    browser.open(path)
                    driver.save_screenshot(str(OUT / f"{name}-{width}.png"))
                    browser.sign_in(acme, "ann")
                    continue
                browser.open(path)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(width, min(max(height, 600), 4000))
                driver.save_screenshot(str(OUT / f"{name}-{width}.png"))
                print(f"{name}-{width}.png")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
