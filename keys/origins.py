"""Origin restrictions on a key (`allowed_origins`, DESIGN.md section 13), with no Django.

A key used from browser code can be limited to the pages that may send it. Each entry is an
origin (`https://app.example.com`, `http://localhost:3000`) or a host pattern with no scheme,
matching http and https alike (`app.example.com`, `*.example.com`: any subdomain, not the bare
domain). A request is judged by its `Origin` header, else the origin of its `Referer`; with
neither, a restricted key is refused. (Any client can forge these headers: this keeps a key
copied out of a web page from working on other sites' pages, it does not authenticate callers.)
"""

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

Origin = tuple[str, str, int]  # scheme, host, port

MAX_ORIGINS = 100
ENTRY_RE = re.compile(
    r"(?:(?P<scheme>https?)://)?(?P<wildcard>\*\.)?"
    r"(?P<host>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)"
    r"(?::(?P<port>\d{1,5}))?"
)


def clean(entries: Iterable[str]) -> list[str]:
    """The entries as stored (lower case, no trailing slash); ValueError names a bad one."""
    cleaned = []
    for entry in entries:
        value = entry.strip().lower().removesuffix("/")
        if not value:
            continue
        match = ENTRY_RE.fullmatch(value)
        if not match or (match["port"] and not 0 < int(match["port"]) < 65536):
            raise ValueError(
                f"{entry.strip()!r} is not an origin (https://app.example.com) "
                "or host pattern (*.example.com)"
            )
        cleaned.append(value)
    if len(cleaned) > MAX_ORIGINS:
        raise ValueError(f"at most {MAX_ORIGINS} origins")
    return list(dict.fromkeys(cleaned))


def request_origin(origin_header: str | None, referer_header: str | None) -> Origin | None:
    """(scheme, host, port) of the page that sent a request, or None."""
    for value in (origin_header, referer_header):
        if not value or value == "null":
            continue
        try:
            parts = urlsplit(value.strip())
            port = parts.port
        except ValueError:
            return None
        if parts.scheme in ("http", "https") and parts.hostname:
            return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)
        return None
    return None


def allowed(origin: Origin | None, entries: Iterable[str]) -> bool:
    """Whether `origin` (request_origin's answer) matches any stored entry."""
    if origin is None:
        return False
    scheme, host, port = origin
    for entry in entries:
        match = ENTRY_RE.fullmatch(entry)
        if match is None:
            continue
        if match["scheme"] and match["scheme"] != scheme:
            continue
        default = 443 if scheme == "https" else 80
        if (int(match["port"]) if match["port"] else default) != port:
            continue
        if match["wildcard"]:
            if host.endswith("." + match["host"]):
                return True
        elif host == match["host"]:
            return True
    return False


def within(given: Iterable[str], own: Iterable[str]) -> bool:
    """Whether every stored entry of `given` admits only pages that `own`'s entries admit too:
    the same entry, or one origin (with its scheme) that `own` allows. A host pattern or a
    wildcard counts only as itself: what it would admit cannot be listed to check."""
    own = list(own)
    for entry in given:
        if entry in own:
            continue
        match = ENTRY_RE.fullmatch(entry)
        if match is None or not match["scheme"] or match["wildcard"]:
            return False
        if not allowed(request_origin(entry, None), own):
            return False
    return True
