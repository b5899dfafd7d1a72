"""Initiatives: a community's projects (the list, by status), proposing one, and an
initiative's page — its goal, status and people, Join / Leave, its milestones (Mark done),
links to the community's knowledge and workshops, progress notes, decisions (a position each,
the tally, what was decided) and, for its stewards, Start / Pause / Resume, Complete (an
outcome for the knowledge base, or why there is none) and Abandon. Every form posts and
redirects; a refused one shows the page again with the problem against its field."""
from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused, linked_id, local_time
from web.parts import api, parts

blueprint = Blueprint("initiatives", __name__)
STATUSES = ("proposed", "active", "paused", "completed", "abandoned")
OUTCOME_KINDS = ("lesson_learned", "case_study")
POSITIONS = ("agree", "disagree", "abstain")
MOVES = ("start", "pause", "resume")


def _community(community_id):
    return parts(community=lambda: api().get(f"/v1/communities/{community_id}"))["community"].essential()


def _tags(text):
    return [tag.strip() for tag in text.split(",") if tag.strip()]


@blueprint.get("/communities/<community_id>/initiatives")
def listing(community_id):
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    found = parts(community=lambda: api().get(f"/v1/communities/{community_id}"),
                  page=lambda: api().get(f"/v1/communities/{community_id}/initiatives", limit=20,
                                         cursor=request.args.get("cursor"), **({"status": status} if status else {})))
    found["community"].essential()
    page = found["page"]
    more = page.get("next_cursor") and url_for("initiatives.listing", community_id=community_id,
                                               cursor=page["next_cursor"], status=status or None)
    return render_template("initiatives/list.html", section="communities", community=found["community"].value,
                           page=page, status=status, statuses=STATUSES, more=more)


@blueprint.get("/communities/<community_id>/initiatives/new")
def new(community_id):
    return render_template("initiatives/form.html", section="communities", community=_community(community_id),
                           initiative=None, form={}, refused=None)


@blueprint.post("/communities/<community_id>/initiatives/new")
def propose(community_id):
    form = request.form
    try:
        initiative = api().post(f"/v1/communities/{community_id}/initiatives", {
            "title": form.get("title", "").strip(), "goal": form.get("goal", "").strip(),
            "tags": _tags(form.get("tags", ""))})
    except ApiError as error:
        return render_template("initiatives/form.html", section="communities", community=_community(community_id),
                               initiative=None, form=form, refused=Refused(error)), error.status
    return redirect(url_for("initiatives.initiative", initiative_id=initiative["id"], done=_("Your initiative is proposed.")))


@blueprint.get("/initiatives/<initiative_id>/edit")
def edit(initiative_id):
    initiative = api().get(f"/v1/initiatives/{initiative_id}")
    form = {**initiative, "tags": ", ".join(initiative["tags"])}
    return render_template("initiatives/form.html", section="communities", initiative=initiative, form=form,
                           community=_community(initiative["community_id"]), refused=None)


@blueprint.post("/initiatives/<initiative_id>/edit")
def save(initiative_id):
    form = request.form
    try:
        api().patch(f"/v1/initiatives/{initiative_id}", {
            "title": form.get("title", "").strip(), "goal": form.get("goal", "").strip(),
            "tags": _tags(form.get("tags", ""))})
    except ApiError as error:
        initiative = api().get(f"/v1/initiatives/{initiative_id}")
        return render_template("initiatives/form.html", section="communities", initiative=initiative, form=form,
                               community=_community(initiative["community_id"]), refused=Refused(error)), error.status
    return redirect(url_for("initiatives.initiative", initiative_id=initiative_id, done=_("The initiative is changed.")))


def _page(initiative_id, refused=None, status=200, form=None, refused_form=None):
    found = parts(initiative=lambda: api().get(f"/v1/initiatives/{initiative_id}"),
                  updates=lambda: api().get(f"/v1/initiatives/{initiative_id}/updates", limit=20),
                  decisions=lambda: api().get(f"/v1/initiatives/{initiative_id}/decisions", limit=20),
                  people=lambda: api().get(f"/v1/initiatives/{initiative_id}/members"))
    initiative = found["initiative"].essential()
    community = parts(community=lambda: api().get(f"/v1/communities/{initiative['community_id']}"))["community"]
    community = community.value or {"id": initiative["community_id"], "name": _("its community")}
    membership = community.get("membership") or {}
    stewards = initiative["my_role"] == "steward" or membership.get("role") in ("owner", "facilitator") \
        or "org_admin" in g.me.get("roles", ())
    taking_part = bool(initiative["my_role"]) or stewards
    return render_template("initiatives/initiative.html", section="communities", initiative=initiative,
                           community=community, member=bool(membership), stewards=stewards, taking_part=taking_part,
                           open=initiative["status"] in ("proposed", "active", "paused"),
                           updates=found["updates"], decisions=found["decisions"], people=found["people"],
                           refused=refused,
                           refused_form=refused_form, form=form or {}, outcome_kinds=OUTCOME_KINDS,
                           positions=POSITIONS), status


@blueprint.get("/initiatives/<initiative_id>")
def initiative(initiative_id):
    return _page(initiative_id)


def _do(initiative_id, call, done, form_name=None, anchor="", fields=None):
    """Call the API; the page again with the problem (against ``form_name``'s fields, the API's
    names of them mapped by ``fields`` to the form's), or a redirect to it saying what was done."""
    try:
        call()
    except ApiError as error:
        refused = Refused(error)
        refused.fields = {(fields or {}).get(name, name): message for name, message in refused.fields.items()}
        return _page(initiative_id, refused, error.status, request.form, form_name)
    return redirect(url_for("initiatives.initiative", initiative_id=initiative_id, done=done) + anchor)


@blueprint.post("/initiatives/<initiative_id>/<any(start, pause, resume):action>")
def move(initiative_id, action):
    said = {"start": _("The initiative is active."), "pause": _("The initiative is paused."),
            "resume": _("The initiative is active again.")}
    return _do(initiative_id, lambda: api().post(f"/v1/initiatives/{initiative_id}/{action}"), said[action])


@blueprint.post("/initiatives/<initiative_id>/join")
def join(initiative_id):
    return _do(initiative_id, lambda: api().post(f"/v1/initiatives/{initiative_id}/members"),
               _("You take part in this initiative."))


@blueprint.post("/initiatives/<initiative_id>/leave")
def leave(initiative_id):
    return _do(initiative_id, lambda: api().delete(f"/v1/initiatives/{initiative_id}/members/{g.me['user_id']}"),
               _("You left this initiative."))


@blueprint.post("/initiatives/<initiative_id>/members/<path:user_id>/role")
def set_role(initiative_id, user_id):
    return _do(initiative_id, lambda: api().put(f"/v1/initiatives/{initiative_id}/members/{user_id}",
                                                {"role": request.form.get("role", "")}),
               _("The role is changed."), anchor="#people-title")


@blueprint.post("/initiatives/<initiative_id>/complete")
def complete(initiative_id):
    form = request.form
    if form.get("leaves") == "none":
        body = {"no_outcome": form.get("no_outcome", "").strip()}
    else:
        body = {"outcome": {"kind": form.get("kind", ""), "title": form.get("outcome_title", "").strip(),
                            "body": form.get("outcome_body", "")}}
    try:
        api().post(f"/v1/initiatives/{initiative_id}/complete", body)
    except ApiError as error:
        nested = (error.fields or {}).get("outcome")
        refused = Refused(error)
        if isinstance(nested, dict):  # the outcome's own fields, as the form names them
            refused = Refused(ApiError(error.status, error.code, error.message, {
                f"outcome_{key}" if key in ("title", "body") else key: value for key, value in nested.items()}))
        return _page(initiative_id, refused, error.status, form, "complete")
    return redirect(url_for("initiatives.initiative", initiative_id=initiative_id,
                            done=_("The initiative is completed.")))


@blueprint.post("/initiatives/<initiative_id>/abandon")
def abandon(initiative_id):
    return _do(initiative_id, lambda: api().post(f"/v1/initiatives/{initiative_id}/abandon",
                                                 {"reason": request.form.get("reason", "").strip()}),
               _("The initiative is abandoned."), "abandon")


@blueprint.post("/initiatives/<initiative_id>/milestones")
def add_milestone(initiative_id):
    form = request.form
    return _do(initiative_id, lambda: api().post(f"/v1/initiatives/{initiative_id}/milestones", {
        "title": form.get("milestone_title", "").strip(), "due_on": form.get("due_on", "")}),
        _("The milestone is set."), "milestone", "#milestones-title", {"title": "milestone_title"})


@blueprint.post("/initiatives/<initiative_id>/milestones/<milestone_id>/done")
def milestone_done(initiative_id, milestone_id):
    return _do(initiative_id, lambda: api().post(f"/v1/milestones/{milestone_id}/done"),
               _("The milestone is done."), anchor="#milestones-title")


@blueprint.post("/initiatives/<initiative_id>/links")
def add_link(initiative_id):
    form = request.form
    return _do(initiative_id, lambda: api().post(f"/v1/initiatives/{initiative_id}/links", {
        "kind": form.get("link_kind", ""), "id": linked_id(form.get("target", "").strip()) or ""}),
        _("The link is added."), "link", "#links-title", {"kind": "link_kind", "id": "target"})


@blueprint.post("/initiatives/<initiative_id>/updates")
def post_update(initiative_id):
    return _do(initiative_id, lambda: api().post(f"/v1/initiatives/{initiative_id}/updates",
                                                 {"body": request.form.get("body", "")}),
               _("Your progress note is posted."), "update", "#updates-title")


@blueprint.post("/initiatives/<initiative_id>/decisions")
def open_decision(initiative_id):
    form = request.form
    closes_at = form.get("closes_at", "")
    zone = session.get("timezone") or "UTC"
    return _do(initiative_id, lambda: api().post(f"/v1/initiatives/{initiative_id}/decisions", {
        "question": form.get("question", "").strip(), "closes_at": local_time(closes_at, zone)}),
        _("The decision is open."), "decision", "#decisions-title")


@blueprint.post("/initiatives/<initiative_id>/decisions/<decision_id>/vote")
def vote(initiative_id, decision_id):
    return _do(initiative_id, lambda: api().put(f"/v1/decisions/{decision_id}/vote",
                                                {"position": request.form.get("position", "")}),
               _("Your position is recorded."), f"vote-{decision_id}", f"#decision-{decision_id}")


@blueprint.post("/initiatives/<initiative_id>/decisions/<decision_id>/outcome")
def decide(initiative_id, decision_id):
    form = request.form
    return _do(initiative_id, lambda: api().post(f"/v1/decisions/{decision_id}/outcome", {
        "statement": form.get("statement", "").strip(), "review_on": form.get("review_on") or None}),
        _("What was decided is recorded."), f"outcome-{decision_id}", f"#decision-{decision_id}")
