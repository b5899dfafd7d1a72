"""Home: what needs me (reviews, join requests to decide, my knowledge due for review, my next
workshops with my seat or my place on the waitlist, unread notifications, my communities), and
my settings (time zone)."""
import datetime

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from web.formatting import ZONES
from web.forms import Refused
from web.parts import api, parts

blueprint = Blueprint("home", __name__)
MANAGERS = ("owner", "facilitator")
JOIN_REQUESTS_OF = 10  # managed communities whose pending join requests home lists
ZONE_OPTIONS = [(zone, zone.replace("_", " ")) for zone in ZONES]


@blueprint.get("/")
def home():
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    found = parts(communities=lambda: api().get("/v1/me/communities", limit=100),
                  workshops=lambda: api().get("/v1/me/workshops", **{"from": now, "limit": 10}),
                  notifications=lambda: api().get("/v1/notifications", unread="true", limit=5),
                  reviews=lambda: api().get("/v1/search", status="in_review", limit=10),
                  due=lambda: api().get("/v1/search", status="needs_review", mine="true", limit=10))
    managed = [c for c in (found["communities"].get("items") or []) if c["role"] in MANAGERS][:JOIN_REQUESTS_OF]
    requests = parts(**{c["id"]: (lambda c=c: api().get(f"/v1/communities/{c['id']}/join-requests",
                                                         status="pending", limit=10)) for c in managed})
    pending = [(c, r) for c in managed for r in (requests[c["id"]].get("items") or [])]
    return render_template("home.html", section="home", pending=pending, **found)


@blueprint.get("/settings")
def settings():
    return render_template("settings.html", refused=None, zone=session.get("timezone", "UTC"), options=ZONE_OPTIONS)


@blueprint.post("/settings")
def save_settings():
    zone = request.form.get("timezone", "")
    if zone not in ZONES:
        return render_template("settings.html", zone=zone, options=ZONE_OPTIONS, refused=Refused(
            fields={"timezone": _("Choose a time zone from the list")})), 400
    session["timezone"] = zone
    return redirect(url_for("home.home"))
