"""Where the platform may send a request on someone's say-so (a webhook's URL, an identity
provider's endpoints), never at its own network, and reaching it only there.

A URL whose host resolves to an address that is not globally routable (private, loopback,
link-local, shared address space such as 100.64.0.0/10, which holds cloud metadata services, the
IETF's 192.0.0.0/24, documentation and reserved ranges, multicast; IPv4 and IPv6 alike) is
refused, at registration and again before every attempt, unless the host, or a network holding
its address, is in the allowed list (a setting: ``WEBHOOK_ALLOWED_HOSTS``,
``IDENTITY_PROVIDER_ALLOWED_HOSTS``; comma-separated: ``hooks.internal, 10.2.0.0/16``).

A name can be pointed elsewhere between a check and a connection (DNS rebinding: a public
address for the check, 127.0.0.1 for the connection). So an attempt resolves the name once,
checks the address, and connects to that very address (``PinnedClient``): the name goes only in
the ``Host`` header and, for https, in SNI and the certificate check. Redirects are not followed.
"""
import collections
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3


class Refused(Exception):
    """The target may not be reached; the message says why."""


def allowed_targets(setting):
    """(host names, networks) of an allowed-hosts setting."""
    names, networks = set(), []
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower())
    return names, networks


# Not globally reachable per IANA's registries, though older Pythons' tables say otherwise.
_NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("64:ff9b:1::/48"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address):
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64), or None."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.ip_address(int(address) & 0xFFFFFFFF)
    return None


def _forbidden(address):
    if address.version == 6 and _embedded_ipv4(address) is not None:
        return _forbidden(_embedded_ipv4(address))
    return (not address.is_global or address.is_multicast
            or any(address in network for network in _NOT_GLOBAL if network.version == address.version))


@dataclass(frozen=True)
class Target:
    """A URL, and the one address an attempt connects to."""
    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self):
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _parts(url):
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("the port is not a number from 1 to 65535") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def resolve(url, allowed):
    """The ``Target`` of ``url``: its host resolved once, every address it has checked; Refused
    when one may not be reached (or there is none)."""
    scheme, host, port, path = _parts(url)
    names, networks = allowed
    try:
        found = [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]
    except (OSError, ValueError, UnicodeError):
        raise Refused(f"{host} does not resolve") from None
    if not found:
        raise Refused(f"{host} does not resolve")
    if host not in names:
        for text in found:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if _forbidden(address) and not any(address in network for network in networks):
                raise Refused(f"{host} resolves to {address}, which is not a public address")
    return Target(scheme, host, port, path, found[0])


def check_target(url, allowed):
    """Raise Refused unless ``url`` resolves only to addresses that may be reached (a host named
    in the allowed list is not resolved: it may be reachable only from where it is
    used)."""
    if _parts(url)[1] not in allowed[0]:
        resolve(url, allowed)


class PinnedClient:
    """Requests to a ``Target``'s address, keeping a few connections open per address and host."""

    POOLS_KEPT = 256

    def __init__(self, per_target):
        self.per_target = per_target
        self.pools = collections.OrderedDict()

    def _pool(self, target, timeout):
        key = (target.scheme, target.address, target.port, target.host)
        pool = self.pools.get(key)
        if pool is None:
            options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False,
                       "maxsize": self.per_target}
            if target.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(target.address, target.port, server_hostname=target.host,
                                                   assert_hostname=target.host, cert_reqs="CERT_REQUIRED",
                                                   ca_certs=certifi.where(), **options)
            else:
                pool = urllib3.HTTPConnectionPool(target.address, target.port, **options)
            self.pools[key] = pool
            if len(self.pools) > self.POOLS_KEPT:
                self.pools.popitem(last=False)[1].close()
        self.pools.move_to_end(key)
        return pool

    def request(self, method, target, body, headers, timeout):
        """The answer (urllib3's, read) to one request; urllib3's ``HTTPError`` or an
        ``OSError`` when there is none."""
        return self._pool(target, timeout).urlopen(
            method, target.path, body=body, headers={**headers, "Host": target.host_header},
            redirect=False, retries=False, preload_content=True)

    def post(self, target, body, headers, timeout):
        """(status, the answer's text) of one POST."""
        response = self.request("POST", target, body, headers, timeout)
        return response.status, response.data.decode("utf-8", "replace")
