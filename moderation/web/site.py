"""The service's public address for the web layer: infra/address, and the error a view
raises when it is unknown (SPEC §4, own address: SITE_URL or TRUSTED_HOSTS)."""

from moderation.infra import address

NO_OWN_ADDRESS = (
    "This site does not know its own address, so it cannot take linkbacks: "
    "its owner must set SITE_URL (or TRUSTED_HOSTS)."
)

known = address.known


class NoOwnAddress(Exception):
    """Neither SITE_URL nor TRUSTED_HOSTS is set: the request's Host cannot be trusted."""

    def __init__(self) -> None:
        super().__init__(NO_OWN_ADDRESS)
        self.message = NO_OWN_ADDRESS


def base_url() -> str:
    """The base every public route hangs off, without a trailing slash; NoOwnAddress
    when it is unknown."""
    base = address.base_url()
    if base is None:
        raise NoOwnAddress()
    return base


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link to a route, for discovery headers and protocols."""
    url = address.absolute_url(endpoint, **values)
    if url is None:
        raise NoOwnAddress()
    return url
