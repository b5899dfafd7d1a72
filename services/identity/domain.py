"""Identity rules, and the documents and domain events each change makes. No I/O here.

An organisation's identity provider is an OpenID Connect provider its admins register. A
sign-in is the authorization code flow with PKCE (S256), ``state`` and ``nonce``: the platform
remembers each started sign-in (by its ``state``, for ``SIGN_IN_MINUTES``, once) with its nonce
and the S256 challenge of a code verifier it hands the browser's side, and completes it only for
whoever shows that verifier. A completed sign-in makes the person's session: a secret its holder
trades for platform access tokens, until it has been idle for ``SESSION_IDLE_MINUTES`` or is
``SESSION_LIFETIME_HOURS`` old, or it is ended.
"""
import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from commonplace import provider_tokens
from commonplace.actor import person_id
from commonplace.clock import as_utc
from commonplace.errors import Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable
from commonplace.text import email_address
from services.identity.domain_events import group_event, person_event, provider_event, session_event

ID_TOKEN_ALGORITHMS = provider_tokens.ALGORITHMS

CALLBACK_PATH = "/auth/callback"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")  # in the order the platform prefers them
SHOWN_FIELDS = ("issuer", "client_id", "email_domains", "claims", "admin_groups", "audience", "scopes")


def require_admin(actor, organisation):
    """An organisation's admins (and platform admins) manage its identity provider."""
    if not actor.administers(organisation):
        raise Forbidden("only the organisation's admins manage its identity provider")


def redirect_uri(public_url):
    return public_url.rstrip("/") + CALLBACK_PATH


# registering a provider

def endpoints_of(issuer, discovery):
    """What the platform uses of a provider's discovery document; Unprocessable saying what is
    wrong with it."""
    def problem(why):
        return Unprocessable(f"the provider's discovery document {why}", {"issuer": [why]})

    if discovery.get("issuer") != issuer:
        raise problem(f"names the issuer {discovery.get('issuer')!r}, not {issuer!r}")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(discovery.get(name), str) or not discovery[name].startswith(("https://", "http://")):
            raise problem(f"has no {name}")
    if "code" not in (discovery.get("response_types_supported") or []):
        raise problem("does not offer the authorization code flow (response type code)")
    offered = discovery.get("id_token_signing_alg_values_supported") or []
    if not set(offered) & set(ID_TOKEN_ALGORITHMS):
        raise problem(f"offers no ID token signature this platform accepts ({', '.join(ID_TOKEN_ALGORITHMS)})")
    challenges = discovery.get("code_challenge_methods_supported")
    if challenges is not None and "S256" not in challenges:
        raise problem("does not offer PKCE with S256")
    # The default when it does not say is client_secret_basic (Discovery 1.0 §3).
    methods = discovery.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = next((m for m in AUTH_METHODS if m in methods), None)
    if method is None:
        raise problem("offers no client authentication by secret (client_secret_basic or client_secret_post)")
    return {
        "authorization_endpoint": discovery["authorization_endpoint"], "token_endpoint": discovery["token_endpoint"],
        "jwks_uri": discovery["jwks_uri"], "userinfo_endpoint": _text(discovery.get("userinfo_endpoint")),
        "end_session_endpoint": _text(discovery.get("end_session_endpoint")),
        "token_endpoint_auth_method": method,
        "id_token_signing_algorithms": [a for a in offered if a in ID_TOKEN_ALGORITHMS],
        "issuer_parameter": bool(discovery.get("authorization_response_iss_parameter_supported")),
    }


def _text(value):
    return value if isinstance(value, str) and value else None


def require_distinct(organisation, issuer, email_domains, others):
    """An issuer serves several organisations only when their email domains tell them apart:
    ``others`` are the other organisations' providers. A domain belongs to one organisation."""
    for other in others:
        taken = set(email_domains) & set(other["email_domains"])
        if taken:
            raise Conflict(f"{', '.join(sorted(taken))} already sign in with another organisation",
                           {"email_domains": ["each domain signs in with one organisation"]})
        if other["issuer"] == issuer and not (email_domains and other["email_domains"]):
            raise Conflict("this issuer serves another organisation: give each its email domains",
                           {"email_domains": ["needed when an issuer serves several organisations"]})


def set_provider(actor, organisation, data, endpoints, stored, now):
    """(the provider's document, events) as ``data`` registers or changes it."""
    require_admin(actor, organisation)
    secret = data.get("client_secret") or (stored or {}).get("client_secret")
    if not secret:
        raise Unprocessable("a client secret is needed", {"client_secret": ["give the client's secret"]})
    scopes = ["openid"] + [s for s in dict.fromkeys(data["scopes"]) if s != "openid"]
    document = {
        "_id": organisation, "issuer": data["issuer"], "client_id": data["client_id"], "client_secret": secret,
        "email_domains": sorted(set(data["email_domains"])), "claims": data["claims"],
        "admin_groups": data["admin_groups"], "audience": data.get("audience") or data["client_id"],
        "scopes": scopes, "endpoints": endpoints, "updated_at": now, "updated_by": actor.user_id,
        "removed_at": None,
    }
    live = stored if stored and stored.get("removed_at") is None else None
    changed = [f for f in SHOWN_FIELDS if live is None or live.get(f) != document[f]]
    if live is None or secret != live.get("client_secret"):
        changed.append("client_secret")
    return document, [provider_event("identity_provider.updated", document,
                                     {"changed": changed, "updated_by": actor.user_id})]


def shown(provider, public_url):
    """The provider as its admins see it: never its secret."""
    return {**provider, "client_secret_set": bool(provider.get("client_secret")),
            "redirect_uri": redirect_uri(public_url)}


def issuer_settings(provider):
    """What the gateway needs of a provider to accept its access tokens (nothing secret)."""
    return {"issuer": provider["issuer"], "organisation": provider["_id"], "audience": provider["audience"],
            "claims": provider["claims"], "admin_groups": provider["admin_groups"],
            "email_domains": provider["email_domains"],
            "algorithms": provider["endpoints"]["id_token_signing_algorithms"]}


def require_provider(provider):
    if provider is None or provider.get("removed_at") is not None:
        raise NotFound("the organisation has no identity provider")
    return provider


def remove_provider(actor, provider, now):
    """(the changes, events) that remove an organisation's provider (its secret goes)."""
    require_admin(actor, provider["_id"])
    require_provider(provider)
    return ({"removed_at": now, "client_secret": None, "updated_at": now, "updated_by": actor.user_id},
            [provider_event("identity_provider.removed", provider, {"removed_by": actor.user_id})])


# signing in

def require_sign_in_provider(provider, asked_by):
    """The provider a sign-in asked for by ``asked_by`` (email or organisation) goes to."""
    if provider is None or provider.get("removed_at") is not None:
        raise NotFound("no organisation signs in here with that", {asked_by: ["no organisation signs in with it"]})
    return provider


def require_same_provider(provider, sign_in):
    """The provider a sign-in comes back to is the one it went to."""
    if provider is None or provider.get("removed_at") is not None or provider["issuer"] != sign_in["issuer"]:
        raise Unauthenticated("the organisation's identity provider changed meanwhile: sign in again")
    return provider


def require_active(person):
    if person is not None and not person.get("active", True):
        raise Unauthenticated("your organisation has deactivated your account")


def domain_of(email):
    address = email_address(email)
    if address is None:
        raise Unprocessable("that is not an email address", {"email": ["an address like ann@acme.example"]})
    return address.rsplit("@", 1)[1].lower()


def begin_sign_in(provider, public_url, next_path, now, lifetime):
    """(the sign-in's document, the authorization URL, the code verifier): the verifier goes to
    whoever started it, only its S256 challenge is kept."""
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    challenge = _s256(verifier)
    query = {"response_type": "code", "client_id": provider["client_id"], "redirect_uri": redirect_uri(public_url),
             "scope": " ".join(provider["scopes"]), "state": state, "nonce": nonce,
             "code_challenge": challenge, "code_challenge_method": "S256"}
    endpoint = provider["endpoints"]["authorization_endpoint"]
    url = endpoint + ("&" if urlsplit(endpoint).query else "?") + urlencode(query)
    document = {"_id": state, "organisation": provider["_id"], "issuer": provider["issuer"], "nonce": nonce,
                "challenge": challenge, "next": next_path, "created_at": now, "expires_at": now + lifetime,
                "completed_at": None}
    return document, url, verifier


def _s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def require_sign_in(sign_in, code_verifier, now):
    """The sign-in ``code_verifier`` completes: started, not yet completed, not expired."""
    if sign_in is None or sign_in["completed_at"] is not None:
        raise Unauthenticated("this sign-in is unknown or already used: sign in again")
    if as_utc(sign_in["expires_at"]) <= now:
        raise Unauthenticated("this sign-in took too long: sign in again")
    if not hmac.compare_digest(_s256(code_verifier), sign_in["challenge"]):
        raise Unauthenticated("this sign-in was started elsewhere: sign in again")


def require_issuer_parameter(provider, iss):
    """RFC 9207: the callback's ``iss`` is the provider's issuer, where it sends one (a mix-up
    of two providers otherwise)."""
    if iss is not None and iss != provider["issuer"]:
        raise Unauthenticated("the sign-in came back from another provider than it went to")
    if iss is None and provider["endpoints"].get("issuer_parameter"):
        raise Unauthenticated("the sign-in came back without its provider's name (iss)")


def person_of(provider, claims):
    """The person a sign-in's claims name (``commonplace.provider_tokens.person_of``)."""
    return provider_tokens.person_of(provider["_id"], provider, claims)


def claims_missing(provider, claims):
    """Whether the ID token lacks a claim the provider's settings read (userinfo then has it)."""
    return any(claims.get(provider["claims"][name]) is None for name in ("name", "email", "groups"))


def provision(person, stored, now, via):
    """(the person's document, events) as they are seen; Forbidden when their organisation has
    deactivated them."""
    if stored is not None and not stored.get("active", True):
        raise Forbidden("your organisation has deactivated your account")
    document = {"_id": person["user_id"], "organisation": person["organisation"], "sub": person["sub"],
                "name": person["name"], "email": person["email"], "groups": person["groups"],
                "roles": person["roles"], "active": True, "seen_at": now}
    if stored is not None:
        return document, []
    document["provisioned_at"] = now
    return document, [person_event("person.provisioned", document, {"via": via})]


def new_session(person, provider, id_token, now, idle, lifetime):
    """(the session's document, its secret): only the secret's hash is kept."""
    secret = secrets.token_urlsafe(32)
    document = {"_id": session_key(secret), "user_id": person["user_id"], "organisation": person["organisation"],
                "issuer": provider["issuer"], "id_token": id_token, "person": person, "began_at": now,
                "last_used_at": now, "idle_until": now + idle, "expires_at": now + lifetime, "ended_at": None}
    return document, secret, [session_event("session.started", document, {})]


def session_key(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def require_session(session, now):
    """A session that may have a token now."""
    if (session is None or session["ended_at"] is not None or as_utc(session["expires_at"]) <= now
            or as_utc(session["idle_until"]) <= now):
        raise Unauthenticated("the session has ended: sign in again")
    return session


def session_used(session, now, idle):
    """The changes to a session its use makes: its idle time starts again (never past its end)."""
    return {"last_used_at": now, "idle_until": min(now + idle, as_utc(session["expires_at"]))}


def end_session(session, now, why):
    return ({"ended_at": now, "id_token": None},
            [session_event("session.ended", session, {"why": why})])


def end_session_url(provider, session, public_url):
    """Where the browser goes to end its session at the provider (RP-Initiated Logout 1.0), or None."""
    endpoint = provider and provider.get("endpoints", {}).get("end_session_endpoint")
    if not endpoint:
        return None
    query = {"client_id": provider["client_id"], "post_logout_redirect_uri": public_url.rstrip("/") + "/sign-in"}
    if session.get("id_token"):
        query["id_token_hint"] = session["id_token"]
    return endpoint + ("&" if urlsplit(endpoint).query else "?") + urlencode(query)



# the directory (SCIM)

SCIM_SCOPE = "scim"


def require_directory_group(group):
    if group is None:
        raise NotFound("no such group in your organisation's directory")
    return group


def require_scim_key(key):
    """The organisation whose directory an API key of the ``scim`` scope provisions."""
    if key is None:
        raise Unauthenticated("SCIM takes an API key of the organisation's with the scim scope")
    if SCIM_SCOPE not in key["scopes"]:
        raise Forbidden("this API key has no scim scope")
    return key["organisation"]

def directory_person(stored, organisation, sub, name, email, active, now):
    """(the person's document or its changes, events, whether it is new) as their directory
    says they are now: provisioned the first time, deprovisioned when made inactive, reactivated
    when made active again."""
    if stored is None:
        document = {"_id": person_id(organisation, sub), "organisation": organisation, "sub": sub,
                    "name": name, "email": email, "groups": [], "roles": [], "active": active, "seen_at": None,
                    "provisioned_at": now, "deprovisioned_at": None}
        return document, [person_event("person.provisioned", document, {"via": "scim"})], True
    changes = {"name": name, "email": email, "active": active}
    events = []
    if stored.get("active", True) and not active:
        changes["deprovisioned_at"] = now
        events.append(person_event("person.deprovisioned", stored, {"why": "inactive", "erased": False, "at": now}))
    elif active and not stored.get("active", True):
        events.append(person_event("person.reactivated", stored, {}))
    return changes, events, False


def forget_person(stored, now):
    """(changes, events) of a person their directory deleted: deprovisioned, their name and
    address erased."""
    changes = {"name": None, "email": None, "active": False,
               "deprovisioned_at": stored.get("deprovisioned_at") or now}
    return changes, [person_event("person.deprovisioned", stored, {"why": "deleted", "erased": True,
                                                                    "at": changes["deprovisioned_at"]})]


def group_changed(group, before_people, after_people, deleted=False):
    """The event of a directory group's change: who joined it and who left it."""
    return [group_event(group, {"added": sorted(set(after_people) - set(before_people)),
                                "removed": sorted(set(before_people) - set(after_people)), "deleted": deleted})]


def end_sessions(sessions, now, why):
    """[(session key, changes, events)] ending each of ``sessions``."""
    return [(session["_id"], *end_session(session, now, why)) for session in sessions]
