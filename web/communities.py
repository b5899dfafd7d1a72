"""Communities: the directory one may see (search, domain and tag filters), a community's page
(about, members, upcoming workshops, standards, recent knowledge, and Join / Request to join /
Accept invitation / Leave community), its members and roles, join requests and invitations for
its managers, and a new community."""
import datetime

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused
from web.parts import api, parts

blueprint = Blueprint("communities", __name__, url_prefix="/communities")
MANAGERS = ("owner", "facilitator")
ROLES = ("member", "facilitator", "owner")


def _manages(community):
    membership = community.get("membership") or {}
    return membership.get("role") in MANAGERS or "org_admin" in (g.me or {}).get("roles", ())


@blueprint.get("")
def directory():
    filters = {key: request.args.get(key, "").strip() for key in ("q", "domain", "tag")}
    found = parts(page=lambda: api().get("/v1/communities", cursor=request.args.get("cursor"), limit=20, **filters))
    page = found["page"]
    more = page.get("next_cursor") and url_for("communities.directory", cursor=page["next_cursor"], **filters)
    return render_template("communities/directory.html", section="communities", page=page, filters=filters,
                           more=more)


@blueprint.get("/new")
def new():
    return render_template("communities/new.html", section="communities", refused=None, form={})


@blueprint.post("/new")
def create():
    form = request.form
    body = {"name": form.get("name", ""), "domain": form.get("domain", ""), "description": form.get("description", ""),
            "tags": [t.strip() for t in form.get("tags", "").split(",") if t.strip()],
            "visibility": form.get("visibility", "organisation"), "join_policy": form.get("join_policy", "open")}
    try:
        community = api().post("/v1/communities", body)
    except ApiError as error:
        return render_template("communities/new.html", section="communities", refused=Refused(error), form=form), 400
    return redirect(url_for("communities.community", community_id=community["id"]))


def _settings_page(community_id, form=None, refused=None, link_form=None, link_refused=None, status=200):
    community = api().get(f"/v1/communities/{community_id}")
    found = parts(groups=lambda: api().get(f"/v1/communities/{community_id}/directory-groups"))
    form = form or {**community, "tags": ", ".join(community.get("tags") or [])}
    return render_template("communities/settings.html", section="communities", community=community, form=form,
                           refused=refused, groups=found["groups"], link_form=link_form or {},
                           link_refused=link_refused), status


@blueprint.get("/<community_id>/settings")
def settings(community_id):
    return _settings_page(community_id)


@blueprint.post("/<community_id>/directory-groups")
def link_group(community_id):
    form = request.form
    group_id = form.get("group_id", "").strip()
    if not group_id:
        return _settings_page(community_id, link_form=form, status=400, link_refused=Refused(
            fields={"group_id": _("Enter the group's id in your directory")}))
    try:
        api().put(f"/v1/communities/{community_id}/directory-groups/{group_id}", {"role": form.get("role", "member")})
    except ApiError as error:
        refused = Refused(error, fields={"group_id": error.message} if error.status == 404 else None)
        return _settings_page(community_id, link_form=form, link_refused=refused, status=error.status)
    return redirect(url_for("communities.settings", community_id=community_id, done="linked"))


@blueprint.post("/<community_id>/directory-groups/<group_id>/unlink")
def unlink_group(community_id, group_id):
    api().delete(f"/v1/communities/{community_id}/directory-groups/{group_id}")
    return redirect(url_for("communities.settings", community_id=community_id, done="unlinked"))


@blueprint.post("/<community_id>/settings")
def save_settings(community_id):
    form = request.form
    body = {"name": form.get("name", ""), "domain": form.get("domain", ""), "description": form.get("description", ""),
            "tags": [t.strip() for t in form.get("tags", "").split(",") if t.strip()],
            "visibility": form.get("visibility", ""), "join_policy": form.get("join_policy", ""),
            "knowledge_review": form.get("knowledge_review", "")}
    try:
        api().patch(f"/v1/communities/{community_id}", body)
    except ApiError as error:
        return _settings_page(community_id, form=form, refused=Refused(error), status=error.status)
    return redirect(url_for("communities.community", community_id=community_id, done="changed"))


@blueprint.post("/<community_id>/archive")
def archive(community_id):
    return _act(community_id, lambda: api().post(f"/v1/communities/{community_id}/archive"), "archived")


@blueprint.get("/<community_id>")
def community(community_id):
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    found = parts(community=lambda: api().get(f"/v1/communities/{community_id}"),
                  members=lambda: api().get(f"/v1/communities/{community_id}/members", limit=12),
                  workshops=lambda: api().get(f"/v1/communities/{community_id}/workshops", **{"from": now, "limit": 5}),
                  knowledge=lambda: api().get(f"/v1/communities/{community_id}/artifacts", limit=8),
                  initiatives=lambda: api().get(f"/v1/communities/{community_id}/initiatives", limit=5),
                  standards=lambda: api().get(f"/v1/communities/{community_id}/artifacts", standard="true", limit=20))
    if not found["community"]:
        raise found["community"].refused or ApiError(503, "unavailable", _("The community is not available right now."))
    community = found["community"].value
    return render_template("communities/community.html", section="communities", community=community,
                           manages=_manages(community), **{k: v for k, v in found.items() if k != "community"})


def _act(community_id, call, announce):
    try:
        call()
    except ApiError as error:
        return render_template("error.html", title=_("That could not be done"), message=error.message), error.status
    return redirect(url_for("communities.community", community_id=community_id, done=announce))


@blueprint.post("/<community_id>/join")
def join(community_id):
    return _act(community_id, lambda: api().post(f"/v1/communities/{community_id}/join"), "joined")


@blueprint.post("/<community_id>/leave")
def leave(community_id):
    return _act(community_id, lambda: api().delete(f"/v1/communities/{community_id}/members/{g.me['user_id']}"), "left")


@blueprint.post("/<community_id>/invitations/<invitation_id>/accept")
def accept_invitation(community_id, invitation_id):
    return _act(community_id, lambda: api().post(f"/v1/invitations/{invitation_id}/accept"), "joined")


@blueprint.get("/<community_id>/members")
def members(community_id):
    found = parts(community=lambda: api().get(f"/v1/communities/{community_id}"),
                  members=lambda: api().get(f"/v1/communities/{community_id}/members", limit=50,
                                            cursor=request.args.get("cursor")))
    community = found["community"].essential()
    page = found["members"]
    more = page.get("next_cursor") and url_for("communities.members", community_id=community_id,
                                               cursor=page["next_cursor"])
    return render_template("communities/members.html", section="communities", community=community,
                           members=page, more=more, manages=_manages(community), roles=ROLES,
                           refused=None, form={})


@blueprint.post("/<community_id>/members/<user_id>/role")
def change_role(community_id, user_id):
    return _managed(community_id, lambda: api().put(f"/v1/communities/{community_id}/members/{user_id}",
                                                    {"role": request.form.get("role", "")}))


@blueprint.post("/<community_id>/members/<user_id>/remove")
def remove(community_id, user_id):
    return _managed(community_id, lambda: api().delete(f"/v1/communities/{community_id}/members/{user_id}"))


@blueprint.post("/<community_id>/invitations")
def invite(community_id):
    form = request.form
    user = form.get("user_id", "").strip()
    if user and ":" not in user:
        user = f"{g.me['organisation']}:{user}"  # a name of one's own organisation
    return _managed(community_id, lambda: api().post(f"/v1/communities/{community_id}/invitations",
                                                     {"user_id": user, "role": form.get("role", "member")}), form)


def _managed(community_id, call, form=None):
    try:
        call()
    except ApiError as error:
        community = api().get(f"/v1/communities/{community_id}")
        page = api().get(f"/v1/communities/{community_id}/members", limit=50)
        return render_template("communities/members.html", section="communities", community=community,
                               members=page, more=None, manages=_manages(community), roles=ROLES,
                               refused=Refused(error), form=form or {}), error.status
    return redirect(url_for("communities.members", community_id=community_id))


@blueprint.get("/<community_id>/join-requests")
def join_requests(community_id):
    found = parts(community=lambda: api().get(f"/v1/communities/{community_id}"),
                  requests=lambda: api().get(f"/v1/communities/{community_id}/join-requests", status="pending",
                                             limit=50))
    found["community"].essential()
    if found["requests"].refused:
        raise found["requests"].refused
    return render_template("communities/join_requests.html", section="communities",
                           community=found["community"].value, requests=found["requests"])


@blueprint.post("/<community_id>/join-requests/<request_id>/<decision>")
def decide(community_id, request_id, decision):
    verb = {"approve": "approve", "decline": "reject"}.get(decision)
    if verb is None:
        return render_template("error.html", title=_("Page not found"), message=""), 404
    try:
        api().post(f"/v1/communities/{community_id}/join-requests/{request_id}/{verb}")
    except ApiError as error:
        return render_template("error.html", title=_("That could not be done"), message=error.message), error.status
    return redirect(url_for("communities.join_requests", community_id=community_id))
