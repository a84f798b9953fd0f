"""Typed readers for settings taken from environment variables.

A bad value must stop the process at start-up with a message naming the
variable, rather than surface later as a confusing runtime error.
"""

import os
from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network, ip_network
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use one of 1/0, true/false.")


def _number[T: (int, float)](
    name: str, default: T, cast: Callable[[str], T], minimum: T | None
) -> T:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = cast(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a {cast.__name__}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}.")
    return number


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    return _number(name, default, int, minimum)


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    return _number(name, default, float, minimum)


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str, schemes: set[str]) -> str:
    value = env_str(name, default)
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name}={value!r} is not a URL with scheme {allowed}.")
    return value


def env_networks(name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated IP addresses or networks (CIDR), e.g. `10.0.0.5,172.18.0.0/16`.

    Strict: a host name, a typo or a network with host bits set (10.0.0.5/8) stops
    start-up, so a trusted proxy is never quietly missing or wider than meant."""
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ip_network(item, strict=True))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)."
            ) from None
    return tuple(networks)
