"""Notification rules, and the documents and domain events each change makes. No I/O here."""
import base64
import datetime
import secrets

from commonplace.actor import API_KEY_PREFIX, Actor, hash_api_key
from commonplace.clock import isoformat
from commonplace.errors import Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable
from commonplace.ids import new_id
from commonplace.queries import all_of
from services.notifications.domain_events import api_key_event, webhook_event

# A feed reader is shown events received at least this long ago: an event numbered before
# another is then always stored before it is shown, so no reader's cursor passes over it.
FEED_SETTLE = datetime.timedelta(seconds=2)


def require_org_admin(actor):
    """An organisation's admins manage its integrations."""
    if actor.organisation is None or not actor.administers(actor.organisation):
        raise Forbidden("only the organisation's admins manage its integrations")


# API keys

def issue_key(actor, data, now):
    """(the key's document, the key itself, events): shown once, stored only hashed."""
    require_org_admin(actor)
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    document = {"_id": new_id(), "organisation": actor.organisation, "name": data["name"],
                "scopes": sorted(set(data["scopes"])), "hash": hash_api_key(key), "prefix": key[:10],
                "created_at": now, "created_by": actor.user_id, "last_used_at": None, "revoked_at": None}
    return document, key, [api_key_event("api_key.issued", document, {"issued_by": actor.user_id})]


def require_key(key, actor):
    """The organisation's key, for its admins; NotFound for anyone else's."""
    require_org_admin(actor)
    if key is None or key["organisation"] != actor.organisation:
        raise NotFound("no such API key")
    return key


def revoke_key(key, actor, now):
    """(changes, events) of revoking a key; a revoked key stays listed, refused from now on."""
    if key["revoked_at"] is not None:
        raise Conflict("the key is revoked already")
    return {"revoked_at": now}, [api_key_event("api_key.revoked", key, {"revoked_by": actor.user_id})]


def require_valid_key(key):
    """The stored key, unless it was never issued or is revoked (Unauthenticated)."""
    if key is None or key["revoked_at"] is not None:
        raise Unauthenticated("the API key is not valid (revoked, or never issued)")
    return key


def key_caller(key, scope):
    """The caller a verified API key (``{id, organisation, scopes}``) stands for: its
    organisation, never a person. Forbidden for a key without ``scope``."""
    if scope not in key["scopes"]:
        raise Forbidden(f"the API key lacks the scope {scope}")
    return Actor(user_id=f"{key['organisation']}:api-key:{key['id']}", organisation=key["organisation"])


# The event feed

def type_prefixes(full_type):
    """Every pattern an event type answers to: commonplace.events.workshop.scheduled is found by
    commonplace.*, commonplace.events.*, commonplace.events.workshop.* and itself."""
    parts = full_type.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def event_key(event):
    """What tells one domain event from every other: its source and id."""
    return f"{event.get('source')}|{event.get('id')}"


def feed_entry(event, cursor, received_at):
    """The feed's record of a domain event it received as number ``cursor``."""
    return {"_id": cursor, "event_key": event_key(event),
            "organisation": event.get("organisation"), "community": event.get("community"),
            "types": type_prefixes(event.get("type", "")), "received_at": received_at, "event": event}


def feed_query(actor, params, now):
    """The store query of the events ``actor``'s organisation may read after ``params['after']``."""
    clauses = [{"organisation": actor.organisation}, {"_id": {"$gt": params["after"]}},
               {"received_at": {"$lte": now - FEED_SETTLE}}]
    if params.get("type"):
        clauses.append({"types": params["type"].removesuffix(".*")})
    if params.get("community"):
        clauses.append({"community": params["community"]})
    return all_of(*clauses)


def feed_item(entry):
    return {**entry["event"], "cursor": entry["_id"]}


# Webhooks

def matches_pattern(pattern, full_type):
    """Whether an event type answers to a pattern: itself, or a prefix ending in ``.*``."""
    return full_type == pattern or (pattern.endswith(".*") and full_type.startswith(pattern[:-1]))


def wants(webhook, event):
    """Whether ``webhook`` is to be sent ``event``: its organisation's, a type it asked for, and
    of a community it follows (all, when it names none)."""
    return (webhook["enabled"] and webhook.get("deleted_at") is None
            and webhook["organisation"] == event.get("organisation")
            and any(matches_pattern(p, event.get("type", "")) for p in webhook["event_types"])
            and (not webhook["communities"] or event.get("community") in webhook["communities"]))


def new_secret():
    """A signing secret as Standard Webhooks writes them: ``whsec_`` and 32 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def register_webhook(actor, data, now):
    """(the endpoint, its secret, events): an organisation admin's (or a key's) new endpoint."""
    secret = new_secret()
    webhook = {"_id": new_id(), "organisation": actor.organisation, "url": data["url"],
               "event_types": sorted(set(data["event_types"])), "communities": sorted(set(data["communities"] or [])),
               "description": data["description"], "enabled": True, "disabled_reason": None,
               "consecutive_failures": 0, "secrets": [{"secret": secret, "created_at": now, "expires_at": None}],
               "created_at": now, "created_by": actor.user_id, "deleted_at": None}
    return webhook, secret, [webhook_event("webhook.registered", webhook, {
        "event_types": webhook["event_types"], "registered_by": actor.user_id})]


def require_webhook(webhook, actor):
    if webhook is None or webhook.get("deleted_at") is not None or webhook["organisation"] != actor.organisation:
        raise NotFound("no such webhook")
    return webhook


def update_webhook(webhook, actor, data, now):
    """(changes, events, the changes to every delivery held for it, or None): what the request
    changes; ``enabled: true`` re-enables a disabled endpoint (its failures count from zero, and
    what waited for it is sent from the start of the schedule)."""
    changes = {key: value for key, value in data.items() if key in ("url", "description")}
    if "event_types" in data:
        changes["event_types"] = sorted(set(data["event_types"]))
    if "communities" in data:
        changes["communities"] = sorted(set(data["communities"] or []))
    if "enabled" in data:
        changes["enabled"] = data["enabled"]
        if data["enabled"]:
            changes.update(disabled_reason=None, consecutive_failures=0)
    after = {**webhook, **changes}
    held = requeue(now) if data.get("enabled") else None
    return changes, [webhook_event("webhook.updated", after, {
        "changed": sorted(data), "enabled": after["enabled"], "updated_by": actor.user_id})], held


def delete_webhook(webhook, actor, now):
    return {"deleted_at": now, "enabled": False}, [webhook_event("webhook.deleted", webhook, {"deleted_by": actor.user_id})]


def rotate_secret(webhook, actor, now, overlap_seconds):
    """(changes, the new secret, events): the new secret signs from now; the ones before it
    sign too until ``overlap`` has passed, so receivers can switch without losing a message."""
    secret = new_secret()
    until = now + datetime.timedelta(seconds=overlap_seconds)
    kept = [{**s, "expires_at": s["expires_at"] or until} for s in webhook["secrets"]
            if s["expires_at"] is None or s["expires_at"] > now]
    changes = {"secrets": [{"secret": secret, "created_at": now, "expires_at": None}, *kept]}
    return changes, secret, [webhook_event("webhook.secret_rotated", webhook, {
        "overlap_until": isoformat(until), "rotated_by": actor.user_id})]


def signing_secrets(webhook, now):
    """The secrets that sign a message sent at ``now``: the newest, and any still overlapping."""
    return [s["secret"] for s in webhook["secrets"] if s["expires_at"] is None or s["expires_at"] > now]


def ping(webhook, actor):
    """The event a test sends the endpoint (and nobody else)."""
    return webhook_event("webhook.ping", webhook, {"requested_by": actor.user_id})


def delivery_of(webhook, event, now):
    """A delivery of ``event`` to ``webhook``, due now."""
    return {"_id": new_id(), "dedup": f"{webhook['_id']}|{event_key(event)}", "webhook_id": webhook["_id"],
            "organisation": webhook["organisation"], "event": event, "event_type": event["type"],
            "status": "pending", "attempt_count": 0, "round": 0, "attempts": [], "next_attempt_at": now,
            "created_at": now, "delivered_at": None}


RETRYABLE_STATUSES = {408, 425, 429}
ATTEMPT_LOG = 50  # attempts kept per delivery
RESPONSE_KEPT = 1024  # characters of a response body kept in the log


def retry_schedule(setting):
    """``WEBHOOK_RETRY_SCHEDULE`` as seconds between attempts."""
    return [float(part) for part in setting.split(",") if part.strip()]


def attempt_outcome(status_code, error):
    """delivered (2xx), retry (no answer, 408/425/429 or 5xx), or failed (any other answer)."""
    if error is None and 200 <= status_code < 300:
        return "delivered"
    if error is not None or status_code in RETRYABLE_STATUSES or status_code >= 500:
        return "retry"
    return "failed"


def after_attempt(delivery, attempt, schedule, now, jitter):
    """(the delivery's changes, whether the attempt succeeded) once an attempt is made. A failed
    attempt is retried after the schedule's next wait (``jitter`` in [0.8, 1.2] spreads retries
    out); past the schedule's end, or on an answer that retrying cannot change, it has failed."""
    outcome = attempt_outcome(attempt["status_code"], attempt["error"])
    changes = {"attempts": [*delivery["attempts"], attempt][-ATTEMPT_LOG:],
               "attempt_count": delivery["attempt_count"] + 1, "lease_until": None}
    if outcome == "delivered":
        changes.update(status="delivered", delivered_at=now, next_attempt_at=None)
    elif outcome == "retry" and delivery["round"] < len(schedule):
        changes.update(status="pending", round=delivery["round"] + 1,
                       next_attempt_at=now + datetime.timedelta(seconds=schedule[delivery["round"]] * jitter))
    else:
        changes.update(status="failed", next_attempt_at=None)
    return changes, outcome == "delivered"


def disable_if_failing(webhook, disable_after, attempt):
    """(changes, events) disabling an endpoint whose failures in a row reached ``disable_after``."""
    if not webhook["enabled"] or webhook["consecutive_failures"] < disable_after:
        return {}, []
    last = attempt["error"] or f"HTTP {attempt['status_code']}"
    reason = f"{webhook['consecutive_failures']} failed attempts in a row; the last: {last}"
    return {"enabled": False, "disabled_reason": reason}, [webhook_event("webhook.disabled", webhook, {
        "reason": reason, "consecutive_failures": webhook["consecutive_failures"]})]


def require_delivery(delivery, webhook_id):
    if delivery is None or delivery["webhook_id"] != webhook_id:
        raise NotFound("no such delivery")
    return delivery


def require_window(since, until):
    if until is not None and until <= since:
        raise Unprocessable("until must come after since", {"until": ["before since"]})


def requeue(now):
    """A delivery sent again from the start of the schedule (redelivery, recovery, re-enabling)."""
    return {"status": "pending", "round": 0, "next_attempt_at": now, "lease_until": None}
