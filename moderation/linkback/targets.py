"""Which of our posts a linkback's target URL names.

Targets are matched the way people write links: http or https, with or without
`www.`, with or without the trailing slash, and whatever query or fragment.
A post of ours lives at <site>/posts/<slug>/; a post hosted elsewhere is known
by the URL it was registered with (`posts create --url`).
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import URL_MAX_CHARS, Post

POST_PATH = re.compile(r"^/posts/([^/]+)/?$")
DEFAULT_PORTS = {None, 80, 443}


class UnknownTarget(Exception):
    """The URL names none of our posts. `certain` when it is ours and surely absent."""

    def __init__(self, certain: bool):
        super().__init__("unknown target")
        self.certain = certain


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


def find_post(session: Session, site: Site, target: str) -> Post:
    """The post `target` names, or UnknownTarget."""
    slug = site.post_slug(target)
    if slug is not None:
        post = session.scalar(select(Post).where(Post.slug == slug))
        if post is None:
            raise UnknownTarget(certain=True)
        return post
    post = session.scalar(select(Post).where(Post.url.in_(_spellings(target))).limit(1))
    if post is None:
        raise UnknownTarget(certain=False)
    return post


def _spellings(url: str) -> list[str]:
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
