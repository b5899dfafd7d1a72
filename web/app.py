"""The web app's Flask application: ``create_app(settings)``, served by ``commonplace run web``.

Each area of the app is a blueprint of its own module (sign-in, home, communities, workshops,
knowledge, inbox, transcript, administration), its templates named after its pages. Around
every request: the person's session (server-side, ``sessions``), their API client (``api``),
CSRF protection of every POST (Flask-WTF), the message catalogue and their locale and time zone
(Flask-Babel), security headers (a Content-Security-Policy with no inline script, no framing),
and one access line.
"""
import logging
import time
import uuid

from flask import Flask, g, redirect, render_template, request, session, url_for
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.exceptions import HTTPException

from commonplace.addresses import client_address
from commonplace.metrics import WEB_REQUESTS, WEB_SECONDS
from commonplace.storage import connect
from web import formatting
from web.api import Api, ApiError, TokenRefused, Unavailable, pooled_connections
from web.sessions import Sessions, StoredSessionInterface

log = logging.getLogger("commonplace.web")

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
PUBLIC = {"signin.sign_in_page", "signin.sign_in", "signin.login", "signin.callback", "signin.logout", "static",
          "health", "metrics", "workshops.feed"}
LOCALES = ["en"]


def create_app(settings):
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings["WEB_SECRET"], WTF_CSRF_TIME_LIMIT=None,
                      SETTINGS=settings, BABEL_DEFAULT_LOCALE="en", BABEL_DEFAULT_TIMEZONE="UTC")
    client = connect(settings["STORE_URI"])
    sessions = Sessions(client["web"])
    sessions.prepare()
    app.extensions["commonplace_sessions"] = sessions
    app.session_interface = StoredSessionInterface(sessions, settings)
    http = pooled_connections()
    CSRFProtect(app)
    Babel(app, locale_selector=lambda: request.accept_languages.best_match(LOCALES) or "en",
          timezone_selector=lambda: session.get("timezone") or "UTC")
    app.jinja_env.globals["get_locale"] = get_locale
    formatting.install(app)

    from web import (admin, communities, experts, home, inbox, initiatives, knowledge, pathways, signin,
                     transcript, workshops)

    for blueprint in (signin.blueprint, home.blueprint, communities.blueprint, workshops.blueprint,
                      knowledge.blueprint, initiatives.blueprint, pathways.blueprint, experts.blueprint,
                      inbox.blueprint, transcript.blueprint, admin.blueprint):
        app.register_blueprint(blueprint)

    @app.before_request
    def begin():
        g.started, g.request_id = time.perf_counter(), uuid.uuid4().hex
        g.api = Api(settings["GATEWAY_URL"], session.get("token"), g.request_id, http,
                    client=client_address(request.remote_addr, request.headers.get("X-Forwarded-For")))
        g.me = session.get("user")
        if g.me is not None and not signin.renew_token():
            g.me = None
        if g.me is None and request.endpoint not in PUBLIC:
            return redirect(url_for("signin.sign_in_page", next=request.full_path.rstrip("?")))

    @app.after_request
    def finish(response):
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        WEB_REQUESTS.labels(request.method, request.url_rule.rule if request.url_rule else "(unrouted)",
                            response.status_code).inc()
        WEB_SECONDS.labels(request.method, request.url_rule.rule if request.url_rule else "(unrouted)").observe(
            elapsed / 1000)
        level = logging.ERROR if response.status_code >= 500 and g.get("failure") else logging.INFO
        log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra={
            "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": round(elapsed, 2), "request_id": g.get("request_id"),
            "user": (g.get("me") or {}).get("user_id")}, exc_info=g.get("failure"))
        return response

    @app.get("/metrics")
    def metrics():
        return generate_latest(), 200, {"Content-Type": CONTENT_TYPE_LATEST}

    @app.get("/healthz")
    def health():
        """Ready once the API answers (whatever it says of its services)."""
        try:
            g.api.holding(None).request("GET", "/openapi.json")
        except (Unavailable, ApiError):
            return {"status": "unavailable"}, 503
        return {"status": "ok"}

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return render_template("error.html", title=_("This form has expired"), message=_(
            "The form was sent without the token this page gave it, or from another site. Go back, "
            "reload the page and send it again.")), 400

    @app.errorhandler(TokenRefused)
    def token_refused(error):
        session.clear()
        return redirect(url_for("signin.sign_in_page", next=request.full_path.rstrip("?")))

    @app.errorhandler(ApiError)
    def refused(error):
        titles = {401: _("Please sign in again"), 403: _("You may not do that"), 404: _("Page not found"),
                  409: _("That cannot be done now")}
        return render_template("error.html", title=titles.get(error.status, _("That was refused")),
                               message=error.message), error.status

    @app.errorhandler(Unavailable)
    def unavailable(error):
        return render_template("error.html", title=_("Not available right now"), message=_(
            "Part of the platform is not answering. Try again in a minute.")), 503

    @app.errorhandler(404)
    def not_found(error):
        return render_template("error.html", title=_("Page not found"),
                               message=_("There is no page at this address.")), 404

    @app.errorhandler(Exception)
    def failed(error):
        if isinstance(error, HTTPException):
            return render_template("error.html", title=error.name, message=error.description), error.code
        g.failure = error
        return render_template("error.html", title=_("Sorry, something went wrong"), message=_(
            "The page could not be shown. Try again; if it keeps happening, tell your administrator.")), 500

    return app
