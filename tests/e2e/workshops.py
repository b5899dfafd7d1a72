"""Helpers for workshop tests: communities the events service already knows, workshops."""
import datetime

from tests.e2e.conftest import create_community, first_accepted, until


def in_future(**delta):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(**delta)


def rfc3339(instant):
    return instant.isoformat()


def known_community(platform, token, **fields):
    """A new community, once the events service has its projection."""
    community = create_community(platform, token, **fields)
    assert until(lambda: platform.call(
        "GET", f"/v1/communities/{community['id']}/workshops", token).status_code == 200)
    return community


def member_of(platform, community_id, token):
    """Join the community (the events service learns of it by domain event)."""
    assert platform.call("POST", f"/v1/communities/{community_id}/join", token).status_code == 201
    return token


def workshop_body(*, starts_in=datetime.timedelta(days=2), hours=2, **fields):
    starts_at = datetime.datetime.now(datetime.timezone.utc) + starts_in
    return {
        "title": "Pairing on legacy code", "format": "workshop",
        "starts_at": rfc3339(starts_at), "ends_at": rfc3339(starts_at + datetime.timedelta(hours=hours)),
        "timezone": "Europe/Amsterdam", "capacity": None, "credits": 1.5, **fields,
    }


def schedule(platform, token, community_id, **fields):
    body = workshop_body(**fields)
    response = platform.call("POST", f"/v1/communities/{community_id}/workshops", token, body)
    assert response.status_code == 201, response.text
    return response.json()


def register(platform, workshop_id, token, expect=201):
    """Register, retrying while the projection has not yet seen a fresh membership."""
    path = f"/v1/workshops/{workshop_id}/registrations"
    response = first_accepted(lambda: platform.call("POST", path, token),
                              lambda r: r.status_code != 403)
    assert response is not None and response.status_code == expect, getattr(response, "text", response)
    return response.json()
