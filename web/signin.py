"""Signing in and out.

A person signs in with their organisation's identity provider: ``GET /auth/login`` with their
email address (its domain picks the organisation) or their organisation's slug starts a sign-in
through the API and sends the browser to the provider; the provider sends it back to
``/auth/callback``, whose ``state`` must be one this browser's session started, and the API
completes it with the code verifier only this session holds (PKCE). The session then keeps the
platform session's secret and the current access token, which is renewed shortly before it
expires; the browser keeps only the web session's id. ``POST /auth/logout`` ends both and goes
on to the provider's own sign-out page where it has one.

In development (``AUTH_DEV_TOKENS=true``) the sign-in page also offers a development sign-in,
saying plainly that it exists only there: it mints a development token for the organisation and
user given, as ``commonplace token`` does.
"""
import datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from commonplace import tokens
from commonplace.clock import now
from web.api import ApiError, Unavailable
from web.forms import Refused

blueprint = Blueprint("signin", __name__)

PENDING = "sign_ins"  # the sign-ins this browser started: {state: code verifier}
PENDING_KEPT = 5  # a few tabs' worth
RENEW_BEFORE = datetime.timedelta(seconds=60)


def safe_next(target):
    """``target`` when it is a path of this site; the home page otherwise (never another site)."""
    parts = urlsplit(target or "")
    # A backslash is a slash to browsers: "/\\evil.example" leads off the site as "//evil.example" does.
    if (not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or not target.isprintable()):
        return url_for("home.home")
    return target


def _page(refused=None, form=None, status=200):
    settings = current_app.config["SETTINGS"]
    return render_template("signin.html", development=settings["AUTH_DEV_TOKENS"], refused=refused,
                           form=form or {}, next=(form or request.args).get("next", "")), status


@blueprint.get("/sign-in")
def sign_in_page():
    return _page()


@blueprint.get("/auth/login")
def login():
    """Start a sign-in with the provider of the organisation named, or of the email's domain."""
    asked = {k: request.args[k].strip() for k in ("email", "organisation") if request.args.get(k, "").strip()}
    # (the organisation's field is not the development sign-in's "organisation")
    form = {"email": asked.get("email", ""), "sso-organisation": asked.get("organisation", ""),
            "next": request.args.get("next", "")}
    if len(asked) != 1:
        return _page(Refused(fields={"email": _("Enter your work email address")}), form, 400)
    try:
        started = g.api.holding(None).post("/v1/sign-ins", {**asked, "next": safe_next(form["next"])})
    except ApiError as error:
        by_email = "email" in asked
        message = (_("No organisation signs in here with that address") if by_email
                   else _("No organisation signs in here with that name")) if error.status == 404 else error.message
        return _page(Refused(fields={"email" if by_email else "sso-organisation": message}), form, 400)
    except Unavailable:
        return _error(_("Sign-in is not available right now"), _("Try again in a few minutes."), 503)
    pending = dict(list(session.get(PENDING, {}).items())[-(PENDING_KEPT - 1):])
    pending[started["state"]] = started["code_verifier"]
    session[PENDING] = pending
    return _onwards(started["authorization_url"], _("Continue to your organisation's sign-in"),
                    _("Taking you to your organisation's sign-in page."))


@blueprint.get("/auth/callback")
def callback():
    """Where the provider sends the browser back: complete the sign-in this browser started."""
    state = request.args.get("state", "")
    pending = dict(session.get(PENDING, {}))
    verifier = pending.pop(state, None)
    session[PENDING] = pending
    if request.args.get("error"):
        if request.args["error"] == "access_denied":
            return _error(_("You did not sign in"), _("Your organisation's sign-in was cancelled."), 400)
        return _error(_("The sign-in did not work"), _("Your organisation's sign-in said: %(why)s",
                      why=request.args.get("error_description") or request.args["error"]), 400)
    if verifier is None or not request.args.get("code"):
        return _error(_("The sign-in did not work"),
                      _("This sign-in was not started in this browser, or it was already used."), 400)
    body = {"code": request.args["code"], "code_verifier": verifier}
    if request.args.get("iss"):
        body["iss"] = request.args["iss"]
    try:
        signed_in = g.api.holding(None).post(f"/v1/sign-ins/{state}/complete", body)
    except ApiError as error:
        return _error(_("The sign-in did not work"), error.message, 400)
    except Unavailable:
        return _error(_("Sign-in is not available right now"),
                      _("Your organisation's sign-in did not answer as it should. Try again in a few minutes."), 502)
    person = signed_in["person"]
    session.begin({"platform_session": signed_in["session"], "token": signed_in["access_token"],
                   "token_expires_at": signed_in["expires_at"], "timezone": session.get("timezone") or "UTC",
                   "user": {k: person[k] for k in ("user_id", "sub", "organisation", "roles")}})
    return redirect(safe_next(signed_in.get("next")), 303)


@blueprint.post("/auth/logout")
def logout():
    """End the session here and at the platform, then at the provider where it has a page for it."""
    secret, elsewhere = session.get("platform_session"), None
    if secret:
        try:
            elsewhere = g.api.holding(None).post("/v1/sessions/end", {"session": secret}).get("end_session_url")
        except (ApiError, Unavailable):
            pass  # the platform session ends by itself; this one ends now anyway
    session.clear()
    if elsewhere is None:
        return redirect(url_for("signin.sign_in_page"), 303)
    return _onwards(elsewhere, _("You are signed out"),
                    _("Taking you to your organisation's sign-in, to sign out there too."))


def renew_token():
    """Renew the session's access token when it is about to expire; False when the platform
    session has ended (the person must sign in again)."""
    secret, expires = session.get("platform_session"), session.get("token_expires_at")
    if not secret or (expires and datetime.datetime.fromisoformat(expires) - now() > RENEW_BEFORE):
        return True
    try:
        renewed = g.api.holding(None).post("/v1/sessions/token", {"session": secret})
    except ApiError:
        session.clear()
        return False
    except Unavailable:
        return True  # the token still serves until it expires; the next request tries again
    session["token"], session["token_expires_at"] = renewed["access_token"], renewed["expires_at"]
    g.api = g.api.holding(renewed["access_token"])
    return True


def _onwards(url, title, message):
    """A page that goes on to ``url`` at once, at another site (a redirect there would break
    the page's policy that forms lead only to this site: browsers apply it to where the form's
    answer redirects too); its link serves where the page does not go on by itself."""
    return render_template("continue.html", url=url, title=title, message=message)


def _error(title, message, status):
    return render_template("error.html", title=title, message=message), status


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


