"""The client's address: the connection's, unless the connection is a trusted proxy.

Behind a reverse proxy every request comes from the proxy's address; the login limits
would then count every user as one. `X-Forwarded-For` is believed only as far as it was
written by proxies in `TRUSTED_PROXIES`: read from the right (the hop our own proxy
added), skipping trusted proxies, the first other address is the client. Anything a
client wrote further left is never believed, and without trusted proxies the header
is ignored."""

from ipaddress import IPv4Address, IPv6Address, ip_address

from django.conf import settings
from django.http import HttpRequest


def _parsed(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    nearest = _parsed(remote)
    if nearest is None or not _trusted(nearest):
        return remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _parsed(hop)
        if address is None:  # a hop no proxy of ours wrote: stop at the last one we trust
            break
        nearest = address
        if not _trusted(address):
            break
    return str(nearest)
