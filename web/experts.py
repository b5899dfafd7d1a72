"""Who knows what: people who know a topic (a tag or a domain), across the communities one may
see or in one of them, each with their evidence in words and links to it; and one's own listing
(listed or not, the topics one claims)."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused
from web.parts import api, parts

blueprint = Blueprint("experts", __name__)


def _page(refused=None, status=200, form=None):
    topic = request.args.get("topic", "").strip()
    community = request.args.get("community", "").strip()
    query = {"topic": topic, **({"community": community} if community else {})}
    calls = {"mine": lambda: api().get("/v1/me/expertise"),
             "communities": lambda: api().get("/v1/me/communities", limit=100)}
    if topic:
        calls["found"] = lambda: api().get("/v1/experts", limit=20, cursor=request.args.get("cursor"), **query)
    found = parts(**calls)
    results = found.get("found")
    more = results and results.get("next_cursor") and url_for("experts.directory", cursor=results["next_cursor"], **query)
    mine = found["mine"].value or {"listed": True, "claims": []}
    form = form or {"listed": "yes" if mine["listed"] else "no", "claims": ", ".join(mine["claims"])}
    return render_template("experts.html", section="experts", topic=topic, community=community, results=results,
                           more=more, communities=(found["communities"].get("items") or []), mine=mine, form=form,
                           refused=refused), status


@blueprint.get("/experts")
def directory():
    return _page()


@blueprint.post("/experts/me")
def save():
    form = request.form
    body = {"listed": form.get("listed") == "yes",
            "claims": [claim.strip() for claim in form.get("claims", "").split(",") if claim.strip()]}
    try:
        api().put("/v1/me/expertise", body)
    except ApiError as error:
        return _page(Refused(error), error.status, form)
    return redirect(url_for("experts.directory", done=_("Your listing is saved.")))
