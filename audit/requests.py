"""What an event records of the request that caused it: the client's address and agent."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

USER_AGENT_MAX = 512


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or what the configured number of trusted proxies saw; normalised (the
    database hands an address back in its canonical form, and the hash must match it)."""
    raw = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            raw = hops[-proxies]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d: name them as IPv4.
    return str(getattr(address, "ipv4_mapped", None) or address)


def client(request: HttpRequest | None) -> tuple[str | None, str]:
    """(address, user agent) of the request, or (None, "") without one (a command)."""
    if request is None:
        return None, ""
    return client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
