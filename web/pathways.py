"""Learning pathways: a community's pathways, making one (its steps written a line each, in
groups), a pathway's page — its groups in order with each step's state, Enrol / Leave pathway,
Mark as read for artifact steps, the completion and its expiry — and the pathways one follows."""
import re

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused, linked_id
from web.parts import api, parts

blueprint = Blueprint("pathways", __name__)
# A group's line: "# Foundations (all)" or "# Practice (at least 2)"; then a step a line:
# "artifact <its address or id>", "workshop <its address or id>", "answer <tag>".
GROUP_LINE = re.compile(r"^#\s*(?P<title>.*?)\s*(?:\((?P<rule>all|at least\s+(?P<n>\d+))\))?\s*$", re.I)
STEP_LINE = re.compile(r"^(?P<kind>artifact|workshop|answer)\s+(?P<target>\S+)\s*$", re.I)
EXAMPLE = "# Foundations (all)\nartifact https://…/artifacts/…\nworkshop https://…/workshops/…\n" \
          "# Practice (at least 1)\nanswer capacity-planning"


class Unreadable(ValueError):
    """A line of the steps that is neither a group nor a step; the message says which."""


def read_groups(text):
    """The API's groups from the steps field, a line each (see GROUP_LINE and STEP_LINE)."""
    groups = []
    for number, line in enumerate((line.strip() for line in text.splitlines()), 1):
        if not line:
            continue
        group, step = GROUP_LINE.match(line), STEP_LINE.match(line)
        if group:
            rule = {"at_least": int(group["n"])} if group["n"] else "all"
            groups.append({"title": group["title"] or _("Steps"), "rule": rule, "steps": []})
        elif step:
            if not groups:
                groups.append({"title": _("Steps"), "rule": "all", "steps": []})
            kind, target = step["kind"].lower(), step["target"]
            if kind == "answer":
                groups[-1]["steps"].append({"kind": kind, "tag": target})
            else:
                groups[-1]["steps"].append({"kind": kind, f"{kind}_id": linked_id(target) or target})
        else:
            raise Unreadable(_("Line %(n)s is neither a group (# Title (all)) nor a step (artifact, workshop or "
                               "answer, then what it names)", n=number))
    return groups


def _body(form):
    body = {"title": form.get("title", "").strip(), "description": form.get("description", ""),
            "groups": read_groups(form.get("steps", ""))}
    for name, convert in (("credits", float), ("valid_for_days", int)):
        value = form.get(name, "").strip()
        try:
            body[name] = convert(value) if value else (0 if name == "credits" else None)
        except ValueError:
            body[name] = value  # the API says what is wrong with it
    return body


def _community(community_id):
    return parts(community=lambda: api().get(f"/v1/communities/{community_id}"))["community"].essential()


@blueprint.get("/communities/<community_id>/pathways")
def listing(community_id):
    found = parts(community=lambda: api().get(f"/v1/communities/{community_id}"),
                  page=lambda: api().get(f"/v1/communities/{community_id}/pathways", limit=20,
                                         cursor=request.args.get("cursor")))
    found["community"].essential()
    community, page = found["community"].value, found["page"]
    more = page.get("next_cursor") and url_for("pathways.listing", community_id=community_id, cursor=page["next_cursor"])
    role = (community.get("membership") or {}).get("role")
    return render_template("pathways/list.html", section="communities", community=community, page=page, more=more,
                           manages=role in ("owner", "facilitator"))


@blueprint.get("/communities/<community_id>/pathways/new")
def new(community_id):
    return render_template("pathways/form.html", section="communities", community=_community(community_id),
                           form={"credits": "1"}, refused=None, example=EXAMPLE)


@blueprint.post("/communities/<community_id>/pathways/new")
def create(community_id):
    form = request.form
    try:
        pathway = api().post(f"/v1/communities/{community_id}/pathways", _body(form))
    except (ApiError, Unreadable) as error:
        if isinstance(error, Unreadable):
            refused = Refused(fields={"steps": str(error)})
        else:  # what the API says of the groups is said of the steps field that wrote them
            refused = Refused(error)
            refused.fields = {"steps" if name == "groups" else name: text for name, text in refused.fields.items()}
        return render_template("pathways/form.html", section="communities", community=_community(community_id),
                               form=form, refused=refused, example=EXAMPLE), getattr(error, "status", 400)
    return redirect(url_for("pathways.pathway", pathway_id=pathway["id"], done=_("The pathway is made.")))


def _page(pathway_id, refused=None, status=200):
    found = parts(pathway=lambda: api().get(f"/v1/pathways/{pathway_id}"),
                  progress=lambda: api().get(f"/v1/pathways/{pathway_id}/progress"))
    pathway = found["pathway"].essential()
    community = parts(community=lambda: api().get(f"/v1/communities/{pathway['community_id']}"))["community"]
    community = community.value or {"id": pathway["community_id"], "name": _("its community")}
    progress = found["progress"].value if found["progress"] else None
    return render_template("pathways/pathway.html", section="communities", pathway=pathway, community=community,
                           progress=progress, member=bool(community.get("membership")), refused=refused), status


@blueprint.get("/pathways/<pathway_id>")
def pathway(pathway_id):
    return _page(pathway_id)


def _do(pathway_id, call, done):
    try:
        call()
    except ApiError as error:
        return _page(pathway_id, Refused(error), error.status)
    return redirect(url_for("pathways.pathway", pathway_id=pathway_id, done=done))


@blueprint.post("/pathways/<pathway_id>/enrol")
def enrol(pathway_id):
    return _do(pathway_id, lambda: api().post(f"/v1/pathways/{pathway_id}/enrol"), _("You are enrolled."))


@blueprint.post("/pathways/<pathway_id>/leave")
def leave(pathway_id):
    return _do(pathway_id, lambda: api().delete(f"/v1/pathways/{pathway_id}/enrolment"), _("You left the pathway."))


@blueprint.post("/pathways/<pathway_id>/steps/<step_id>/done")
def step_done(pathway_id, step_id):
    return _do(pathway_id, lambda: api().post(f"/v1/pathways/{pathway_id}/steps/{step_id}/done"),
               _("The step is done."))


@blueprint.get("/pathways")
def mine():
    found = parts(page=lambda: api().get("/v1/me/pathways", limit=50, cursor=request.args.get("cursor")))
    page = found["page"]
    more = page.get("next_cursor") and url_for("pathways.mine", cursor=page["next_cursor"])
    return render_template("pathways/mine.html", section="transcript", page=page, more=more)
