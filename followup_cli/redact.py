"""Secrets of a server URL kept out of every message the program prints.

Messages go to cron mail and terminals shared with staff. libpq echoes parts of a URL it
cannot parse (a spaced password in quotes, a malformed host with the whole URL), so hiding
the password in our own wording is not enough: every secret the URL holds is remembered
when the URL is chosen, and every message is scrubbed of them on its way out.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_plus

HIDDEN = "***"
_SECRET_KEYS = re.compile(r"password", re.I)  # password=, sslpassword=
_remembered: set[str] = set()


def _split(url: str) -> tuple[str, str, str, str]:
    """(scheme://, user info, rest of the address, ?query) - the user info up to the last @
    before the query, so a password with an unencoded @ or / is taken whole."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "", "", url, ""
    address, mark, query = rest.partition("?")
    at = address.rfind("@")
    userinfo, host = (address[:at], address[at + 1 :]) if at >= 0 else ("", address)
    return scheme + sep, userinfo, host, mark + query


def secrets_of(url: str) -> set[str]:
    """The password in the user info and every *password= value of the query, as written
    and as decoded (libpq shows either)."""
    _scheme, userinfo, _host, query = _split(url)
    raw: list[str] = []
    if ":" in userinfo:
        raw.append(userinfo.split(":", 1)[1])
    for pair in re.split(r"[&?]", query):
        key, equals, value = pair.partition("=")
        if equals and _SECRET_KEYS.search(key):
            raw.append(value)
    found: set[str] = set()
    for value in raw:
        for form in (value, unquote(value), unquote_plus(value)):
            if form:
                found.add(form)
                found.update(piece for piece in re.split(r"[\s@/:]+", form) if len(piece) >= 3)
    return found


def stray_at(url: str) -> bool:
    """More than one @ before the query: libpq would take part of the password for the host
    (and send the rest there as a password)."""
    _scheme, userinfo, _host, _query = _split(url)
    return "@" in userinfo


def remember(url: str) -> None:
    """Hide this URL's secrets (and the URL itself) in every message from now on."""
    secrets = secrets_of(url)
    if secrets:
        _remembered.update(secrets)
        _remembered.add(url)


def shown_url(url: str) -> str:
    """The URL fit to print: its password and *password= values replaced by ***."""
    scheme, userinfo, host, query = _split(url)
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":" + HIDDEN
    shown_query = re.sub(
        r"([?&][^=&]*password=)[^&]*", lambda m: m.group(1) + HIDDEN, query, flags=re.I
    )
    return f"{scheme}{userinfo}{'@' if userinfo or '@' in url else ''}{host}{shown_query}"


def scrub(text: str) -> str:
    """`text` with every remembered secret hidden (the longest first: a URL, then its parts)."""
    for secret in sorted(_remembered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, shown_url(secret) if "://" in secret else HIDDEN)
    return text
