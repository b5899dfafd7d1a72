"""Organisation administration, for its admins: how its people sign in (its identity provider),
API keys (issued, shown once, revoked; SCIM keys among them), webhook endpoints (registered with
their secret shown once, each with its delivery log, redelivery, a test ping, a new secret,
enabled again), and a community's partner organisations."""
from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused
from web.parts import api, parts

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
SCOPES = ("events:read", "webhooks:manage", "scim")
CLAIMS = ("user", "name", "email", "groups")


def _lines(text):
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def _overview(refused=None, shown=None, form=None, status=200):
    found = parts(keys=lambda: api().get("/v1/api-keys", limit=100),
                  webhooks=lambda: api().get("/v1/webhooks", limit=100))
    for part in found.values():
        if part.refused and part.refused.status == 403:
            raise part.refused
    return render_template("admin/overview.html", section="admin", refused=refused, shown=shown, form=form or {},
                           scopes=SCOPES, scim_url=current_app.config["SETTINGS"]["GATEWAY_URL"].rstrip("/") + "/scim/v2",
                           **found), status


@blueprint.get("")
def overview():
    return _overview()


@blueprint.post("/api-keys")
def issue_key():
    form = request.form
    try:
        issued = api().post("/v1/api-keys", {"name": form.get("name", ""),
                                             "scopes": [scope for scope in SCOPES if form.get(scope)]})
    except ApiError as error:
        return _overview(Refused(error), form=form, status=error.status)
    return _overview(shown={"what": _("API key %(name)s", name=issued["name"]), "secret": issued["key"]})


@blueprint.post("/api-keys/<key_id>/revoke")
def revoke_key(key_id):
    api().delete(f"/v1/api-keys/{key_id}")
    return redirect(url_for("admin.overview"))


@blueprint.post("/webhooks")
def register_webhook():
    form = request.form
    body = {"url": form.get("url", ""), "description": form.get("description", ""),
            "event_types": [t.strip() for t in form.get("event_types", "").split(",") if t.strip()]}
    try:
        webhook = api().post("/v1/webhooks", body)
    except ApiError as error:
        return _overview(Refused(error), form=form, status=error.status)
    return _overview(shown={"what": _("the endpoint %(url)s", url=webhook["url"]), "secret": webhook["secret"]})


def _webhook(webhook_id, shown=None, refused=None, status=200):
    found = parts(webhook=lambda: api().get(f"/v1/webhooks/{webhook_id}"),
                  deliveries=lambda: api().get(f"/v1/webhooks/{webhook_id}/deliveries", limit=30,
                                               status=request.args.get("status")))
    found["webhook"].essential()
    return render_template("admin/webhook.html", section="admin", webhook=found["webhook"].value,
                           deliveries=found["deliveries"], shown=shown, refused=refused), status


@blueprint.get("/webhooks/<webhook_id>")
def webhook(webhook_id):
    return _webhook(webhook_id)


@blueprint.post("/webhooks/<webhook_id>/<action>")
def webhook_action(webhook_id, action):
    path = f"/v1/webhooks/{webhook_id}"
    try:
        if action == "rotate-secret":
            rotated = api().post(f"{path}/rotate-secret")
            return _webhook(webhook_id, shown={"what": _("the new secret"), "secret": rotated["secret"]})
        if action == "test":
            api().post(f"{path}/test")
        elif action == "enable":
            api().patch(path, {"enabled": True})
        elif action == "disable":
            api().patch(path, {"enabled": False})
        elif action == "delete":
            api().delete(path)
            return redirect(url_for("admin.overview"))
        elif action == "redeliver":
            api().post(f"{path}/deliveries/{request.form.get('delivery', '')}/redeliver")
        else:
            return render_template("error.html", title=_("Page not found"), message=""), 404
    except ApiError as error:
        return _webhook(webhook_id, refused=Refused(error), status=error.status)
    return redirect(url_for("admin.webhook", webhook_id=webhook_id, done=action))


@blueprint.post("/communities/<community_id>/partners")
def add_partner(community_id):
    try:
        api().post(f"/v1/communities/{community_id}/partners", {"organisation": request.form.get("organisation", "")})
    except ApiError as error:
        return render_template("error.html", title=_("That could not be done"), message=error.message), error.status
    return redirect(url_for("communities.members", community_id=community_id, done="partner"))


def _provider_path():
    return f"/v1/organisations/{g.me['organisation']}/identity-provider"


def _sign_in_page(form=None, refused=None, status=200):
    path = _provider_path()  # (g is this request's, not the part's thread's)
    found = parts(provider=lambda: api().get(path))
    provider = found["provider"]
    if provider.refused and provider.refused.status == 403:
        raise provider.refused
    if form is None and provider:
        current = provider.value
        form = {"issuer": current["issuer"], "client_id": current["client_id"],
                "email_domains": "\n".join(current["email_domains"]), "admin_groups": "\n".join(current["admin_groups"]),
                "scopes": " ".join(current["scopes"]), "audience": current.get("audience") or "",
                **{f"claim_{name}": current["claims"][name] for name in CLAIMS}}
    return render_template("admin/sign_in.html", section="admin", provider=provider, form=form or {},
                           refused=refused, claims=CLAIMS,
                           redirect_uri=request.url_root.rstrip("/") + "/auth/callback"), status


@blueprint.get("/sign-in")
def sign_in():
    return _sign_in_page()


@blueprint.post("/sign-in")
def save_sign_in():
    form = request.form
    body = {"issuer": form.get("issuer", "").strip(), "client_id": form.get("client_id", "").strip(),
            "email_domains": _lines(form.get("email_domains", "")), "admin_groups": _lines(form.get("admin_groups", "")),
            "scopes": form.get("scopes", "").split() or ["openid", "email", "profile"],
            "claims": {name: form.get(f"claim_{name}", "").strip() or default
                       for name, default in zip(CLAIMS, ("sub", "name", "email", "groups"))}}
    if form.get("client_secret"):
        body["client_secret"] = form["client_secret"]
    if form.get("audience", "").strip():
        body["audience"] = form["audience"].strip()
    try:
        api().put(_provider_path(), body)
    except ApiError as error:
        return _sign_in_page(form, Refused(error), error.status)
    return redirect(url_for("admin.sign_in", done="saved"))


@blueprint.post("/sign-in/remove")
def remove_sign_in():
    api().delete(_provider_path())
    return redirect(url_for("admin.sign_in", done="removed"))
