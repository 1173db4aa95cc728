"""The service's public address (SPEC §4 (Growing surface), part "own address": never
from the request's Host, but SITE_URL or Flask's TRUSTED_HOSTS): SITE_URL when set; else
the host the request came to, but only when TRUSTED_HOSTS is set, for then Flask has
answered 400 to every other Host header. Anyone can send any Host: without either, we
have no address. A job or a command has no request: there, only SITE_URL gives one."""

from flask import current_app, has_request_context, request


def known() -> bool:
    """Whether absolute links of ours can be made here."""
    config = current_app.config
    return bool(config["SITE_URL"] or (config["TRUSTED_HOSTS"] and has_request_context()))


def base_url() -> str | None:
    """The base every public route hangs off, without a trailing slash; None when it is
    unknown."""
    if current_app.config["SITE_URL"]:
        return current_app.config["SITE_URL"]
    if not known():
        return None
    return request.host_url.rstrip("/") + request.script_root


def absolute_url(endpoint: str, **values) -> str | None:
    """An absolute link to a route, in a request or outside one (a job, a command); None
    when our address is unknown."""
    base = base_url()
    if base is None:
        return None
    # The URL map alone builds the path: url_for needs a request, or SERVER_NAME.
    return base + current_app.url_map.bind("localhost").build(endpoint, values)
