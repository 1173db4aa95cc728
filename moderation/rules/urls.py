"""URL rules: which addresses are web URLs, and when two name the same page.

Targets are matched the way people write links: http or https, with or without
`www.`, with or without the trailing slash, and whatever query or fragment.
A post of ours lives at <site>/posts/<slug>/; a post hosted elsewhere is known
by the URL it was registered with (`posts create --url`). A thread on a registered
site is named by its canonical URL (`canonical_url`), its site by its `origin`.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from moderation.rules.limits import URL_MAX_CHARS

POST_PATH = re.compile(r"^/posts/([^/]+)/?$")
DEFAULT_PORTS = {None, 80, 443}
SCHEME_PORTS = {"http": 80, "https": 443}


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


def origin(url: str) -> str:
    """ "scheme://host[:port]": scheme and host lower-cased, the scheme's default port
    dropped, an IPv6 host in brackets. ValueError when the URL has no scheme or host."""
    parts = urlsplit(url.strip())
    scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    if not scheme or not host:
        raise ValueError(f"{url!r} has no scheme or host")
    if ":" in host:
        host = f"[{host}]"
    return (
        f"{scheme}://{host}"
        if port in {None, SCHEME_PORTS.get(scheme)}
        else f"{scheme}://{host}:{port}"
    )


def canonical_url(url: str, keep_query: bool = False) -> str:
    """The URL that names a thread: its origin and path ("/" when empty), the query only
    when `keep_query`, never the fragment (issue 13: what a site's pages are called)."""
    parts = urlsplit(url.strip())
    query = f"?{parts.query}" if keep_query and parts.query else ""
    return f"{origin(url)}{parts.path or '/'}{query}"


def without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


@dataclass(frozen=True)
class OwnSite:
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
