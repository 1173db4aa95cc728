"""The service's public address: SITE_URL when set (§2), else the host the request came to."""

from flask import current_app, request, url_for


def base_url() -> str:
    """The base every public route hangs off, without a trailing slash."""
    return current_app.config["SITE_URL"] or request.host_url.rstrip("/") + request.script_root


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link to a route, for discovery headers and protocols."""
    path = url_for(endpoint, **values).removeprefix(request.script_root)
    return base_url() + path
