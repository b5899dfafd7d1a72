"""Knowledge: search across communities (facets, snippets with the matches marked, live with
htmx, whole without it), a community's knowledge base and review queue, an artifact's page (its
rendered body, status, standard, review date, endorsements, revisions and the diff of two, and
the actions its readers may take), new and edited artifacts (an edit that lost a race shows
both versions to merge), and questions and answers."""
from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused
from web.parts import api, parts

blueprint = Blueprint("knowledge", __name__)
KINDS = ("best_practice", "lesson_learned", "guide", "case_study", "template", "question")
STATUSES = ("draft", "in_review", "published", "needs_review", "archived")
FILTERS = ("community", "kind", "tag", "status")


@blueprint.get("/knowledge")
def search():
    query = {key: request.args.get(key, "").strip() for key in ("q", *FILTERS)}
    found = parts(results=lambda: api().get("/v1/search", cursor=request.args.get("cursor"), limit=20, **query),
                  communities=lambda: api().get("/v1/me/communities", limit=100))
    results = found["results"]
    names = {c["id"]: c["name"] for c in (found["communities"].get("items") or [])}
    more = results.get("next_cursor") and url_for("knowledge.search", cursor=results["next_cursor"], **query)
    template = "knowledge/_results.html" if request.headers.get("HX-Request") else "knowledge/search.html"
    return render_template(template, section="knowledge", query=query, results=results, names=names, more=more,
                           kinds=KINDS, statuses=STATUSES)


@blueprint.get("/communities/<community_id>/knowledge")
def base(community_id):
    filters = {key: request.args.get(key, "").strip() for key in ("kind", "tag", "status")}
    found = parts(community=lambda: api().get(f"/v1/communities/{community_id}"),
                  page=lambda: api().get(f"/v1/communities/{community_id}/artifacts", limit=20,
                                         cursor=request.args.get("cursor"), **filters))
    found["community"].essential()
    page = found["page"]
    more = page.get("next_cursor") and url_for("knowledge.base", community_id=community_id,
                                               cursor=page["next_cursor"], **filters)
    return render_template("knowledge/base.html", section="knowledge", community=found["community"].value,
                           page=page, filters=filters, more=more, kinds=KINDS, statuses=STATUSES)


@blueprint.get("/communities/<community_id>/review")
def review_queue(community_id):
    found = parts(community=lambda: api().get(f"/v1/communities/{community_id}"),
                  waiting=lambda: api().get(f"/v1/communities/{community_id}/artifacts", status="in_review", limit=50))
    found["community"].essential()
    return render_template("knowledge/review_queue.html", section="knowledge", community=found["community"].value,
                           waiting=found["waiting"])


def _form_body(form):
    return {"title": form.get("title", ""), "body": form.get("body", ""),
            "tags": [tag.strip() for tag in form.get("tags", "").split(",") if tag.strip()]}


@blueprint.get("/communities/<community_id>/knowledge/new")
def new(community_id):
    community = api().get(f"/v1/communities/{community_id}")
    kind = request.args.get("kind", "best_practice")
    return render_template("knowledge/new.html", section="knowledge", community=community, kinds=KINDS,
                           form={"kind": kind if kind in KINDS else "best_practice"}, refused=None)


@blueprint.post("/communities/<community_id>/knowledge/new")
def create(community_id):
    form = request.form
    try:
        artifact = api().post(f"/v1/communities/{community_id}/artifacts",
                              {"kind": form.get("kind", ""), **_form_body(form)})
    except ApiError as error:
        community = api().get(f"/v1/communities/{community_id}")
        return render_template("knowledge/new.html", section="knowledge", community=community, kinds=KINDS,
                               form=form, refused=Refused(error)), error.status
    return redirect(url_for("knowledge.artifact", artifact_id=artifact["id"]))


def _artifact_page(artifact_id, refused=None, status=200, answer_form=None):
    found = parts(artifact=lambda: api().get(f"/v1/artifacts/{artifact_id}"),
                  revisions=lambda: api().get(f"/v1/artifacts/{artifact_id}/revisions", limit=50))
    artifact = found["artifact"].essential()
    more = parts(community=lambda: api().get(f"/v1/communities/{artifact['community_id']}"),
                 answers=(lambda: api().get(f"/v1/artifacts/{artifact_id}/answers", limit=50))
                 if artifact["kind"] == "question" else (lambda: None))
    community = more["community"].value or {"id": artifact["community_id"], "name": _("its community")}
    membership = community.get("membership") or {}
    manages = membership.get("role") in ("owner", "facilitator") or "org_admin" in g.me.get("roles", ())
    mine = artifact["author"] == g.me["user_id"] and bool(membership)
    return render_template("knowledge/artifact.html", section="knowledge", artifact=artifact, community=community,
                           manages=manages, mine=mine, member=bool(membership), revisions=found["revisions"],
                           answers=more["answers"], refused=refused, answer_form=answer_form or {}), status


@blueprint.get("/artifacts/<artifact_id>")
def artifact(artifact_id):
    return _artifact_page(artifact_id)


ACTIONS = {"submit": "submit", "publish": "publish", "archive": "archive", "endorse": "endorsement"}


@blueprint.post("/artifacts/<artifact_id>/<action>")
def act(artifact_id, action):
    if action not in ACTIONS and action not in ("approve", "request_changes", "verify", "withdraw"):
        return render_template("error.html", title=_("Page not found"), message=""), 404
    path = f"/v1/artifacts/{artifact_id}"
    try:
        if action in ("approve", "request_changes"):
            api().post(f"{path}/reviews", {"decision": action, "comment": request.form.get("comment", "")})
        elif action == "verify":
            api().post(f"{path}/verify", {})
        elif action == "withdraw":
            api().delete(f"{path}/endorsement")
        else:
            api().post(f"{path}/{ACTIONS[action]}")
    except ApiError as error:
        return _artifact_page(artifact_id, Refused(error), error.status)
    return redirect(url_for("knowledge.artifact", artifact_id=artifact_id, done=action))


@blueprint.post("/artifacts/<artifact_id>/standard")
def standardise(artifact_id):
    form = request.form
    body = {"topic": form.get("topic", ""), "supersedes": form.get("supersedes", "").strip() or None}
    try:
        api().post(f"/v1/artifacts/{artifact_id}/standard", body)
    except ApiError as error:
        return _artifact_page(artifact_id, Refused(error), error.status)
    return redirect(url_for("knowledge.artifact", artifact_id=artifact_id, done="standard"))


@blueprint.get("/artifacts/<artifact_id>/edit")
def edit(artifact_id):
    artifact = api().get(f"/v1/artifacts/{artifact_id}")
    form = {"title": artifact["title"], "body": artifact["body"], "tags": ", ".join(artifact["tags"]),
            "base_revision": artifact["revision"]}
    return render_template("knowledge/edit.html", section="knowledge", artifact=artifact, form=form, refused=None,
                           theirs=None)


@blueprint.post("/artifacts/<artifact_id>/edit")
def save(artifact_id):
    form = request.form
    try:
        base_revision = int(form.get("base_revision", "0"))
    except ValueError:
        base_revision = 0
    body = {**_form_body(form), "summary": form.get("summary", ""), "base_revision": base_revision}
    try:
        api().put(f"/v1/artifacts/{artifact_id}", body)
    except ApiError as error:
        artifact = api().get(f"/v1/artifacts/{artifact_id}")
        # Another edit came first: both versions side by side, the form now based on theirs.
        theirs = artifact if error.status == 409 and artifact["revision"] != base_revision else None
        refused = Refused(error, message=_(
            "Someone saved a newer version while you were editing. Their version is shown beside yours: "
            "merge what you want to keep into the form and save again.") if theirs else None)
        return render_template("knowledge/edit.html", section="knowledge", artifact=artifact,
                               form={**form, "base_revision": artifact["revision"] if theirs else base_revision},
                               refused=refused, theirs=theirs), error.status
    return redirect(url_for("knowledge.artifact", artifact_id=artifact_id, done="edited"))


@blueprint.get("/artifacts/<artifact_id>/diff")
def diff(artifact_id):
    artifact = api().get(f"/v1/artifacts/{artifact_id}")
    older, newer = request.args.get("from", ""), request.args.get("to", "")
    try:
        text = api().request("GET", f"/v1/artifacts/{artifact_id}/diff?from={older}&to={newer}",
                             accept="text/plain").text
    except ApiError as error:
        return render_template("error.html", title=_("These revisions cannot be compared"),
                               message=error.message), error.status
    lines = [(line[:1] if line[:1] in "+-@" else " ", line) for line in text.splitlines()]
    return render_template("knowledge/diff.html", section="knowledge", artifact=artifact, lines=lines,
                           older=older, newer=newer)


@blueprint.post("/artifacts/<artifact_id>/answers")
def answer(artifact_id):
    try:
        api().post(f"/v1/artifacts/{artifact_id}/answers", {"body": request.form.get("body", "")})
    except ApiError as error:
        return _artifact_page(artifact_id, Refused(error), error.status, request.form)
    return redirect(url_for("knowledge.artifact", artifact_id=artifact_id, done="answered") + "#answers")


@blueprint.post("/answers/<answer_id>/vote")
def vote(answer_id):
    question = request.form.get("question", "")
    try:
        api().put(f"/v1/answers/{answer_id}/vote", {"value": 1 if request.form.get("value") == "up" else -1})
    except ApiError as error:
        return _artifact_page(question, Refused(error), error.status)
    return redirect(url_for("knowledge.artifact", artifact_id=question, done="voted") + f"#answer-{answer_id}")


@blueprint.post("/answers/<answer_id>/accept")
def accept(answer_id):
    question = request.form.get("question", "")
    try:
        api().post(f"/v1/answers/{answer_id}/accept")
    except ApiError as error:
        return _artifact_page(question, Refused(error), error.status)
    return redirect(url_for("knowledge.artifact", artifact_id=question, done="accepted") + f"#answer-{answer_id}")
