"""What is left of an IP address once it is kept no longer (issue 15): its network, an
IPv4 address's /24 and an IPv6 address's /48, as analytics tools shorten addresses.

A shortened address still falls inside every range of the Discussion settings' word
lists that is that wide or wider (203.0.113.0 is in 203.0.113.0/24 and 203.0.0.0/16);
a line naming one address, or a narrower range, can no longer match it.
"""

import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 48


def reduce_address(value: str) -> str:
    """The network an address belongs to: 203.0.113.77 becomes 203.0.113.0 and
    2001:db8:1:2::5 becomes 2001:db8:1::; an IPv4-mapped IPv6 address is shortened as
    the IPv4 address it is; what is no address becomes ""."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return ""  # nothing we can shorten is worth keeping whole
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network((address, prefix), strict=False).network_address)


def is_reduced(value: str) -> bool:
    """Whether a stored value is one reduce_address leaves as it is, told by its shape
    alone so that a database can tell it too (maintenance's LIKE patterns): empty, an
    IPv4 address ending in .0, or an IPv6 address of at most three groups then "::"."""
    if not value:
        return True
    if ":" not in value:
        return value.endswith(".0")
    return value.endswith("::") and value[:-2].count(":") < 3


def network_of(reduced: str) -> str:
    """The range a shortened address stands for: 203.0.113.0/24, 2001:db8:1::/48."""
    return f"{reduced}/{IPV4_PREFIX if ':' not in reduced else IPV6_PREFIX}"
