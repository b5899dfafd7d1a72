"""The inbox: notifications, newest first, each linking to what it is about, an unread filter,
"Mark all as read", and how one chooses to hear of each category."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused
from web.parts import api, parts

blueprint = Blueprint("inbox", __name__, url_prefix="/inbox")
EMAIL = ("immediate", "digest", "off")


def subject_link(subject):
    """Where a notification's subject is in the web app (``communities/c1/…``, ``workshops/w1/…``,
    ``artifacts/a1/…``), or None."""
    parts_ = (subject or "").split("/")
    if len(parts_) >= 2 and parts_[0] == "workshops":
        return url_for("workshops.workshop", workshop_id=parts_[1])
    if len(parts_) >= 2 and parts_[0] == "artifacts":
        return url_for("knowledge.artifact", artifact_id=parts_[1])
    if len(parts_) >= 2 and parts_[0] == "communities":
        return url_for("communities.community", community_id=parts_[1])
    return None


@blueprint.get("")
def inbox():
    unread = request.args.get("unread") == "true"
    found = parts(page=lambda: api().get("/v1/notifications", unread="true" if unread else None, limit=30,
                                         cursor=request.args.get("cursor")))
    page = found["page"]
    more = page.get("next_cursor") and url_for("inbox.inbox", cursor=page["next_cursor"],
                                               unread="true" if unread else None)
    return render_template("inbox/inbox.html", section="inbox", page=page, unread=unread, more=more,
                           link=subject_link)


@blueprint.post("/read-all")
def read_all():
    marked = api().post("/v1/notifications/read-all")
    return redirect(url_for("inbox.inbox", done=marked["marked"]))


@blueprint.post("/<notification_id>/read")
def read(notification_id):
    notice = api().post(f"/v1/notifications/{notification_id}/read")
    return redirect(subject_link(notice.get("subject")) or url_for("inbox.inbox"))


@blueprint.get("/preferences")
def preferences():
    return render_template("inbox/preferences.html", section="inbox",
                           preferences=api().get("/v1/me/notification-preferences"), refused=None, emails=EMAIL)


@blueprint.post("/preferences")
def save_preferences():
    current = api().get("/v1/me/notification-preferences")["categories"]
    chosen = {category: {"in_app": request.form.get(f"{category}-in_app") == "yes",
                         "email": request.form.get(f"{category}-email", choice["email"])}
              for category, choice in current.items()}
    try:
        api().put("/v1/me/notification-preferences", {"categories": chosen})
    except ApiError as error:
        return render_template("inbox/preferences.html", section="inbox", preferences={"categories": current},
                               refused=Refused(error), emails=EMAIL), error.status
    return redirect(url_for("inbox.preferences", done=_("Your choices are saved.")))
