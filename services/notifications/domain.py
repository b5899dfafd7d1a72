"""Notification rules, and the documents and domain events each change makes. No I/O here."""
import datetime
import secrets

from commonplace.actor import API_KEY_PREFIX, Actor, hash_api_key
from commonplace.errors import Conflict, Forbidden, NotFound, Unauthenticated
from commonplace.ids import new_id
from services.notifications.domain_events import api_key_event

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


def key_caller(key, scope):
    """The caller an API key stands for: its organisation, never a person. Unauthenticated for
    a key that does not exist or is revoked; Forbidden for one without ``scope``."""
    if key is None or key["revoked_at"] is not None:
        raise Unauthenticated("the API key is not valid (revoked, or never issued)")
    if scope not in key["scopes"]:
        raise Forbidden(f"the API key lacks the scope {scope}")
    return Actor(user_id=f"{key['organisation']}:api-key:{key['_id']}", organisation=key["organisation"])


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
    return {"$and": clauses}


def feed_item(entry):
    return {**entry["event"], "cursor": entry["_id"]}
