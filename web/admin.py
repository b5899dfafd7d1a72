"""Organisation administration, for its admins: API keys (issued, shown once, revoked), webhook
endpoints (registered with their secret shown once, each with its delivery log, redelivery, a
test ping, a new secret, enabled again), and a community's partner organisations."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import ApiError
from web.forms import Refused
from web.parts import api, parts

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
SCOPES = ("events:read", "webhooks:manage")


def _overview(refused=None, shown=None, form=None, status=200):
    found = parts(keys=lambda: api().get("/v1/api-keys", limit=100),
                  webhooks=lambda: api().get("/v1/webhooks", limit=100))
    for part in found.values():
        if part.refused and part.refused.status == 403:
            raise part.refused
    return render_template("admin/overview.html", section="admin", refused=refused, shown=shown, form=form or {},
                           scopes=SCOPES, **found), status


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
    if not found["webhook"]:
        raise found["webhook"].refused or ApiError(503, "unavailable", "")
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
