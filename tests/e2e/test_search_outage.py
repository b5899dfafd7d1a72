"""Knowledge search on OpenSearch going away and coming back: a search answers 503 at once (not
a 504 after waiting), everything else in knowledge keeps working, and what was written
meanwhile is found once OpenSearch answers again. This platform always searches on an
OpenSearch of its own (`make test-search` runs it; select it alone with ``-m opensearch``)."""
import pytest

from tests.support.api import Org, create_community, new_artifact
from tests.support.platform import running_platform
from tests.support.polling import until

pytestmark = pytest.mark.opensearch


@pytest.fixture(scope="module")
def platform(amqp_uri, tmp_path_factory):
    with running_platform(tmp_path_factory.mktemp("platform"), amqp_uri, search="opensearch") as running:
        yield running


def _found(platform, token, q):
    response = platform.call("GET", "/v1/search", token, params={"q": q})
    return [item["id"] for item in response.json()["items"]] if response.status_code == 200 else None


def test_search_down_answers_503_at_once_the_rest_works_and_nothing_is_lost(platform):
    acme = Org(platform, platform.token("root", roles=["platform_admin"]), "acme")
    ann = acme.user("ann")
    community = create_community(platform, ann, visibility="organisation")
    platform.call("PATCH", f"/v1/communities/{community['id']}", ann, {"knowledge_review": "none"})

    def write(title, body):
        return new_artifact(platform, ann, community["id"], title=title, body=body)

    before = write("Capacity planning", "How we size teams.")
    until(lambda: _found(platform, ann, "capacity") == [before["id"]], what="indexed")

    platform.search_server.stop()
    down = platform.call("GET", "/v1/search", ann, params={"q": "capacity"})
    assert down.status_code == 503, down.text  # refused at once: a wait would have been a 504
    assert down.json()["error"]["code"] == "service_unavailable"
    # Everything else in knowledge works meanwhile: writing, publishing, editing, reading, listing.
    during = write("Zeppelin maintenance", "Helium first.")
    edited = platform.call("PUT", f"/v1/artifacts/{before['id']}", ann, {
        "title": "Headcount planning", "body": "How we size teams.", "tags": [], "summary": "renamed",
        "base_revision": 1})
    assert edited.status_code == 200, edited.text
    assert platform.call("GET", f"/v1/artifacts/{during['id']}", ann).status_code == 200
    listed = platform.call("GET", f"/v1/communities/{community['id']}/artifacts", ann)
    assert {a["id"] for a in listed.json()["items"]} == {before["id"], during["id"]}
    assert platform.call("GET", "/healthz").status_code == 200

    platform.search_server.start()
    # What was written while it was away is found once it is back (the sweep), as it is now.
    until(lambda: _found(platform, ann, "zeppelin") == [during["id"]], timeout=60, what="the outage's write found")
    until(lambda: _found(platform, ann, "headcount") == [before["id"]], timeout=30, what="the outage's edit found")
    assert _found(platform, ann, "capacity") == []
