"""Workshops: a workshop's page (its times in its own time zone and the reader's, format, place
or online link, "7 of 10 seats taken", Register / Join the waitlist / Cancel registration and
one's place on the waitlist, Add to calendar and one's calendar feed, feedback once attended),
and for its managers: schedule, edit, cancel, registrations and attendance."""
import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused, local_time
from web.parts import api, parts

blueprint = Blueprint("workshops", __name__)
FORMATS = ("workshop", "peer_learning", "webinar", "meetup", "office_hours")
FIELDS = ["title", "description", "format", "starts_at", "ends_at", "timezone", "location", "online_url",
          "capacity", "credits"]


def _workshop_page(workshop_id, refused=None, status=200, announce=None, feed=None):
    found = parts(workshop=lambda: api().get(f"/v1/workshops/{workshop_id}"))
    workshop = found["workshop"].essential()
    more = parts(community=lambda: api().get(f"/v1/communities/{workshop['community_id']}"))
    community = more["community"].value or {"id": workshop["community_id"], "name": _("its community")}
    membership = community.get("membership") or {}
    manages = membership.get("role") in ("owner", "facilitator") or "org_admin" in g.me.get("roles", ())
    registrations = parts(page=lambda: api().get(f"/v1/workshops/{workshop_id}/registrations", limit=100))["page"] \
        if manages else None
    started = _parse(workshop["starts_at"]) <= datetime.datetime.now(datetime.timezone.utc)
    template = "workshops/_seat.html" if request.headers.get("HX-Request") and request.method == "POST" \
        else "workshops/workshop.html"
    return render_template(template, section="communities", workshop=workshop, community=community,
                           manages=manages, registrations=registrations, started=started, refused=refused,
                           announce=announce, feed=feed), status


def _parse(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@blueprint.get("/workshops/<workshop_id>")
def workshop(workshop_id):
    return _workshop_page(workshop_id)


@blueprint.post("/workshops/<workshop_id>/register")
def register(workshop_id):
    try:
        registration = api().post(f"/v1/workshops/{workshop_id}/registrations")
    except ApiError as error:
        return _workshop_page(workshop_id, Refused(error), error.status)
    announce = _("You have a seat.") if registration["status"] == "confirmed" else _(
        "The workshop is full: you are number %(n)s on the waitlist.", n=registration["position"])
    return _after(workshop_id, announce)


@blueprint.post("/workshops/<workshop_id>/cancel-registration")
def cancel_registration(workshop_id):
    try:
        api().delete(f"/v1/workshops/{workshop_id}/registrations/me")
    except ApiError as error:
        return _workshop_page(workshop_id, Refused(error), error.status)
    return _after(workshop_id, _("Your registration is cancelled."))


def _after(workshop_id, announce):
    """A fragment for htmx (the seat panel, and the live region announcing what happened);
    otherwise the page again, by a redirect."""
    if request.headers.get("HX-Request"):
        return _workshop_page(workshop_id, announce=announce)
    return redirect(url_for("workshops.workshop", workshop_id=workshop_id, done=announce))


@blueprint.post("/workshops/<workshop_id>/feedback")
def feedback(workshop_id):
    form = request.form
    try:
        rating = int(form.get("rating", ""))
    except ValueError:
        return _workshop_page(workshop_id, Refused(fields={"rating": _("Choose a rating from 1 to 5")}), 400)
    try:
        api().post(f"/v1/workshops/{workshop_id}/feedback", {"rating": rating, "comment": form.get("comment", "")})
    except ApiError as error:
        return _workshop_page(workshop_id, Refused(error), error.status)
    return redirect(url_for("workshops.workshop", workshop_id=workshop_id, done=_("Thank you for your feedback.")))


@blueprint.get("/workshops/<workshop_id>/calendar.ics")
def add_to_calendar(workshop_id):
    answer = api().request("GET", f"/v1/workshops/{workshop_id}/calendar.ics", accept="text/calendar")
    return Response(answer.content, mimetype="text/calendar",
                    headers={"Content-Disposition": "attachment; filename=workshop.ics"})


@blueprint.post("/workshops/<workshop_id>/calendar-feed")
def calendar_feed(workshop_id):
    minted = api().post("/v1/me/calendar-token")
    community_id = api().get(f"/v1/workshops/{workshop_id}")["community_id"]
    feed = current_app.config["SETTINGS"]["PUBLIC_URL"].rstrip("/") + url_for(
        "workshops.feed", community_id=community_id, access_token=minted["token"])
    return _workshop_page(workshop_id, feed=feed, announce=_("Your calendar feed address is below."))


@blueprint.get("/calendars/<community_id>.ics")
def feed(community_id):
    """A community's calendar feed for calendar apps, which send a calendar token in the address
    (they cannot send a session cookie); passed on to the API as it came."""
    answer = g.api.holding(None).request(
        "GET", f"/v1/communities/{community_id}/calendar.ics?access_token={request.args.get('access_token', '')}",
        accept="text/calendar")
    return Response(answer.content, mimetype="text/calendar")


# managers

def _body(form, partial=False):
    """The API body of a workshop form: times entered in the workshop's time zone."""
    body = {}
    for name in ("title", "description", "format", "timezone", "location", "online_url"):
        value = form.get(name, "").strip()
        if value or not partial:
            body[name] = value or (None if name in ("location", "online_url") else "")
    zone = form.get("timezone") or "UTC"
    for name in ("starts_at", "ends_at"):
        value = form.get(name, "").strip()
        if value:
            body[name] = local_time(value, zone)
        elif not partial:
            body[name] = ""
    for name, convert in (("capacity", int), ("credits", float)):
        value = form.get(name, "").strip()
        try:
            body[name] = convert(value) if value else (None if name == "capacity" else 0)
        except ValueError:
            body[name] = value
    return body


@blueprint.get("/communities/<community_id>/workshops/new")
def new(community_id):
    community = api().get(f"/v1/communities/{community_id}")
    return render_template("workshops/form.html", section="communities", community=community, workshop=None,
                           form={"timezone": g.get("zone") or "UTC", "format": "workshop", "credits": "1"},
                           refused=None, formats=FORMATS)


@blueprint.post("/communities/<community_id>/workshops/new")
def schedule(community_id):
    try:
        workshop = api().post(f"/v1/communities/{community_id}/workshops", _body(request.form))
    except ApiError as error:
        community = api().get(f"/v1/communities/{community_id}")
        return render_template("workshops/form.html", section="communities", community=community, workshop=None,
                               form=request.form, refused=Refused(error), formats=FORMATS), error.status
    return redirect(url_for("workshops.workshop", workshop_id=workshop["id"]))


@blueprint.get("/workshops/<workshop_id>/edit")
def edit(workshop_id):
    workshop = api().get(f"/v1/workshops/{workshop_id}")
    community = api().get(f"/v1/communities/{workshop['community_id']}")
    zone = ZoneInfo(workshop["timezone"])
    form = {**workshop, **{name: _parse(workshop[name]).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
                           for name in ("starts_at", "ends_at")},
            "capacity": workshop["capacity"] or "", "location": workshop["location"] or "",
            "online_url": workshop["online_url"] or ""}
    return render_template("workshops/form.html", section="communities", community=community, workshop=workshop,
                           form=form, refused=None, formats=FORMATS)


@blueprint.post("/workshops/<workshop_id>/edit")
def update(workshop_id):
    try:
        api().patch(f"/v1/workshops/{workshop_id}", _body(request.form))
    except ApiError as error:
        workshop = api().get(f"/v1/workshops/{workshop_id}")
        community = api().get(f"/v1/communities/{workshop['community_id']}")
        return render_template("workshops/form.html", section="communities", community=community, workshop=workshop,
                               form=request.form, refused=Refused(error), formats=FORMATS), error.status
    return redirect(url_for("workshops.workshop", workshop_id=workshop_id, done=_("The workshop is changed.")))


@blueprint.post("/workshops/<workshop_id>/cancel")
def cancel(workshop_id):
    try:
        api().post(f"/v1/workshops/{workshop_id}/cancel", {"reason": request.form.get("reason", "")})
    except ApiError as error:
        return _workshop_page(workshop_id, Refused(error), error.status)
    return redirect(url_for("workshops.workshop", workshop_id=workshop_id, done=_("The workshop is cancelled.")))


@blueprint.post("/workshops/<workshop_id>/attendance")
def attendance(workshop_id):
    records = [{"user_id": key.removeprefix("attended-"), "status": value}
               for key, value in request.form.items() if key.startswith("attended-") and value in ("attended", "absent")]
    try:
        api().put(f"/v1/workshops/{workshop_id}/attendance", {"records": records})
    except ApiError as error:
        return _workshop_page(workshop_id, Refused(error), error.status)
    return redirect(url_for("workshops.workshop", workshop_id=workshop_id, done=_("Attendance is recorded.")))
