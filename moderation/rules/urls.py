"""URL rules: which addresses are web URLs, and when two name the same page.

Targets are matched the way people write links: http or https, with or without
`www.`, with or without the trailing slash, and whatever query or fragment.
A post of ours lives at <site>/posts/<slug>/; a post hosted elsewhere is known
by the URL it was registered with (`posts create --url`).
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from moderation.rules.limits import URL_MAX_CHARS

POST_PATH = re.compile(r"^/posts/([^/]+)/?$")
DEFAULT_PORTS = {None, 80, 443}


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host, no spaces or controls, at most 2,000 bytes."""
    if not url or len(url.encode()) > URL_MAX_CHARS or any(ch <= " " or ch == "\x7f" for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def hostname(url: str) -> str:
    """The URL's host in lower case; "" when it has none or cannot be read."""
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""


def host_key(url: str) -> str:
    """The host as compared: lower case, without `www.`, with the port unless a default one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return host if parts.port in DEFAULT_PORTS else f"{host}:{parts.port}"


def resource_key(url: str) -> str:
    """The same key for the same page however it is written (scheme, www., slash, query)."""
    path = unquote(urlsplit(url).path).rstrip("/")
    return f"{host_key(url)}{path}"


def without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


@dataclass(frozen=True)
class Site:
    """Where our own posts are served: the base URL of SITE_URL, or of the request."""

    base_url: str

    def post_slug(self, url: str) -> str | None:
        """The slug of our post at `url`, or None when the URL is not a post address of ours."""
        base = urlsplit(self.base_url)
        if host_key(url) != host_key(self.base_url):
            return None
        path = unquote(urlsplit(url).path)
        prefix = unquote(base.path).rstrip("/")
        if not path.startswith(prefix + "/"):
            return None
        match = POST_PATH.match(path[len(prefix) :])
        return match.group(1) if match else None


def spellings(url: str) -> list[str]:
    """The ways an external post's registered URL may be written, to match with an index."""
    parts = urlsplit(without_fragment(url))
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    spellings = {without_fragment(url)}
    for scheme in ("http", "https"):
        for netloc in (host, f"www.{host}"):
            for tail in (path, path + "/"):
                spellings.add(f"{scheme}://{netloc}{tail}")
    return sorted(spellings)
