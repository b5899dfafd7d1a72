"""Where a webhook may point: never at the platform's own network.

A URL whose host resolves to a private, loopback, link-local or otherwise reserved address is
refused, at registration and again before every delivery (a name can be pointed elsewhere after
it was checked), unless the host, or a network holding its address, is in
``WEBHOOK_ALLOWED_HOSTS`` (comma-separated: ``hooks.internal, 10.2.0.0/16``).
"""
import ipaddress
import socket
from urllib.parse import urlsplit


class Refused(Exception):
    """The target may not be reached; the message says why."""


def allowed_targets(setting):
    """(host names, networks) of ``WEBHOOK_ALLOWED_HOSTS``."""
    names, networks = set(), []
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower())
    return names, networks


def _forbidden(address):
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified
            or (address.version == 6 and address.ipv4_mapped is not None and _forbidden(address.ipv4_mapped)))


def check_target(url, allowed):
    """Raise Refused unless ``url`` resolves only to addresses a webhook may reach."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    names, networks = allowed
    if host in names:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (OSError, ValueError, UnicodeError):
        raise Refused(f"{host} does not resolve") from None
    for text in found:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if _forbidden(address) and not any(address in network for network in networks):
            raise Refused(f"{host} resolves to {address}, a private or reserved address")
