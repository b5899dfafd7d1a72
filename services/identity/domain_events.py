"""The catalogue of the identity service's domain events (``data`` of each), and how one is made.
Its secrets (a provider's client secret, a session's) are in none of them."""
from marshmallow import Schema, fields

from commonplace.envelope import EventCatalogue

events = EventCatalogue("identity")


class _IdentityProvider(Schema):
    """Made of an identity provider's document."""
    organisation = fields.String(required=True, attribute="_id")
    issuer = fields.String(required=True)
    client_id = fields.String(required=True)
    email_domains = fields.List(fields.String(), required=True)
    admin_groups = fields.List(fields.String(), required=True)


@events.type("identity_provider.updated",
             "An organisation's identity provider was registered or changed; `changed` names the fields.")
class IdentityProviderUpdated(_IdentityProvider):
    changed = fields.List(fields.String(), required=True)
    updated_by = fields.String(required=True)


@events.type("identity_provider.removed", "An organisation's identity provider was removed: "
             "its people no longer sign in through it.")
class IdentityProviderRemoved(Schema):
    organisation = fields.String(required=True, attribute="_id")
    issuer = fields.String(required=True)
    removed_by = fields.String(required=True)


class _Person(Schema):
    """Made of a person's document."""
    user_id = fields.String(required=True, attribute="_id")
    organisation = fields.String(required=True)
    sub = fields.String(required=True)


@events.type("person.provisioned", "A person of an organisation became known to the platform: at "
             "their first sign-in (`via` sign_in) or from the directory (`via` scim).")
class PersonProvisioned(_Person):
    via = fields.String(required=True)


@events.type("person.deprovisioned", "The organisation's directory deactivated a person (`why` inactive) "
             "or deleted them (`why` deleted, and `erased`: their name and address are to be forgotten): "
             "their sessions and tokens are refused from `at`, and they leave the organisation's communities.")
class PersonDeprovisioned(_Person):
    why = fields.String(required=True)
    erased = fields.Boolean(required=True)
    at = fields.DateTime(required=True)


@events.type("person.reactivated", "The organisation's directory made a deprovisioned person active again: "
             "they may sign in, and their directory groups' memberships come back.")
class PersonReactivated(_Person):
    pass


@events.type("directory_group.changed", "A group of the organisation's directory was created, changed or "
             "deleted (`deleted`); `added` and `removed` are the people who joined or left it.")
class DirectoryGroupChanged(Schema):
    group_id = fields.String(required=True, attribute="_id")
    organisation = fields.String(required=True)
    display_name = fields.String(required=True)
    added = fields.List(fields.String(), required=True)
    removed = fields.List(fields.String(), required=True)
    deleted = fields.Boolean(required=True)


@events.type("session.started", "A person signed in through their organisation's identity provider.")
class SessionStarted(Schema):
    user_id = fields.String(required=True)
    organisation = fields.String(required=True)
    issuer = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


@events.type("session.ended", "A person's session ended: they signed out (`why` signed_out) or were "
             "deprovisioned (`why` deprovisioned).")
class SessionEnded(Schema):
    user_id = fields.String(required=True)
    organisation = fields.String(required=True)
    why = fields.String(required=True)


def provider_event(short_type, provider, data):
    return events.new(short_type, subject=f"organisations/{provider['_id']}/identity-provider",
                      data={**provider, **data}, organisation=provider["_id"])


def person_event(short_type, person, data):
    return events.new(short_type, subject=f"people/{person['_id']}", data={**person, **data},
                      organisation=person["organisation"])


def session_event(short_type, session, data):
    return events.new(short_type, subject=f"people/{session['user_id']}/sessions",
                      data={**session, **data}, organisation=session["organisation"])


def group_event(group, data):
    return events.new("directory_group.changed", subject=f"organisations/{group['organisation']}/groups/{group['_id']}",
                      data={**group, **data}, organisation=group["organisation"])
