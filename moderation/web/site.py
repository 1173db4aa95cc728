"""The service's public address (SPEC §4 (Growing surface), part "own address": never
from the request's Host, but SITE_URL or Flask's TRUSTED_HOSTS): SITE_URL when set; else
the host the request came to, but only when TRUSTED_HOSTS is set, for then Flask has
answered 400 to every other Host header. Anyone can send any Host: without either, we
have no address."""

from flask import current_app, request, url_for

NO_OWN_ADDRESS = (
    "This site does not know its own address, so it cannot take linkbacks: "
    "its owner must set SITE_URL (or TRUSTED_HOSTS)."
)


class NoOwnAddress(Exception):
    """Neither SITE_URL nor TRUSTED_HOSTS is set: the request's Host cannot be trusted."""

    def __init__(self) -> None:
        super().__init__(NO_OWN_ADDRESS)
        self.message = NO_OWN_ADDRESS


def known() -> bool:
    """Whether absolute links of ours can be made for this request."""
    config = current_app.config
    return bool(config["SITE_URL"] or config["TRUSTED_HOSTS"])


def base_url() -> str:
    """The base every public route hangs off, without a trailing slash; NoOwnAddress
    when it is unknown."""
    if current_app.config["SITE_URL"]:
        return current_app.config["SITE_URL"]
    if not known():
        raise NoOwnAddress()
    return request.host_url.rstrip("/") + request.script_root


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link to a route, for discovery headers and protocols."""
    path = url_for(endpoint, **values).removeprefix(request.script_root)
    return base_url() + path
