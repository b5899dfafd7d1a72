"""Where a request comes from, as a budget per network address needs it.

A request's TCP peer is its client, unless the peer is on the platform's own side (a loopback
or private address: the web app, an ingress, a load balancer in front of the gateway). Such a
proxy adds the address it was called from to ``X-Forwarded-For``; that last entry, the one the
proxy itself wrote, is the client. Entries before it were written by whoever called the proxy,
and are not believed: a client on the internet cannot choose the address it is counted under.
"""
import ipaddress


def _internal(address):
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return parsed.is_loopback or parsed.is_private


def client_address(peer, forwarded_for=None):
    """The address a request comes from: ``peer``, or the entry its internal proxy added last
    to ``forwarded_for`` (the header's value)."""
    if peer and _internal(peer) and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            return peer
    return peer or "unknown"
