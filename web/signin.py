"""Signing in and out. In development (``AUTH_DEV_TOKENS=true``) the sign-in page offers a
development sign-in, saying plainly that it exists only there: it mints a development token for
the organisation and user given, as ``commonplace token`` does. The session keeps the token; the
browser keeps only the session's id."""
import datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from commonplace import tokens
from web.api import ApiError
from web.forms import Refused

blueprint = Blueprint("signin", __name__)


def safe_next(target):
    """``target`` when it is a path of this site; the home page otherwise (never another site)."""
    parts = urlsplit(target or "")
    # A backslash is a slash to browsers: "/\\evil.example" leads off the site as "//evil.example" does.
    if (not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or not target.isprintable()):
        return url_for("home.home")
    return target


@blueprint.get("/sign-in")
def sign_in_page():
    settings = current_app.config["SETTINGS"]
    return render_template("signin.html", development=settings["AUTH_DEV_TOKENS"], refused=None,
                           form={}, next=request.args.get("next", ""))


@blueprint.post("/sign-in")
def sign_in():
    settings = current_app.config["SETTINGS"]
    form = request.form
    if not settings["AUTH_DEV_TOKENS"]:
        return render_template("signin.html", development=False, refused=Refused(
            message=_("Development sign-in is switched off here.")), form={}, next=""), 400
    organisation, user = form.get("organisation", "").strip(), form.get("user", "").strip()
    missing = {}
    if not organisation:
        missing["organisation"] = _("Enter the organisation you belong to")
    if not user:
        missing["user"] = _("Enter your user name")
    refused = Refused(fields=missing) if missing else None
    if not refused:
        roles = ["org_admin"] if form.get("admin") else []
        hours = settings["SESSION_LIFETIME_HOURS"]
        token = tokens.mint(settings["JWT_SECRET"], settings["JWT_ISSUER"], user_id=user, organisation=organisation,
                            roles=roles, name=user, lifetime=datetime.timedelta(hours=hours))
        api = g.api.holding(token)
        try:
            api.get(f"/v1/organisations/{organisation}")
            me = api.get("/v1/me")
        except ApiError as error:
            refused = Refused(fields={"organisation": _("There is no organisation %(slug)s", slug=organisation)}
                              if error.status == 404 else {"user": error.message})
        else:
            session.begin({"token": token, "user": {"user_id": me["user_id"], "sub": me["sub"],
                                                    "organisation": me["organisation"], "roles": me["roles"]},
                           "timezone": session.get("timezone") or "UTC"})
            return redirect(safe_next(form.get("next")))
    return render_template("signin.html", development=True, refused=refused, form=form,
                           next=form.get("next", "")), 400


@blueprint.post("/sign-out")
def sign_out():
    session.clear()
    return redirect(url_for("signin.sign_in_page"))
