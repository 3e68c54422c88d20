"""The routing interface other parts of Berth call (apps, stacks, the portal).

A :class:`Route` says "send these hostnames to that swarm service's tasks on
this port". The gateway turns each route into one nginx file named after the
route; :mod:`routing.gateway` applies, removes and reconciles them:

- ``apply_route(route) -> RouteResult``: render, stage, ``nginx -t`` inside the
  gateway, swap in, reload. A refused file leaves the last good one in place and
  comes back as ``RouteResult(ok=False, error=...)``; other apps are untouched.
- ``remove_route(name)``: drop the app's file and reload.
- ``sync_routes(routes) -> {name: RouteResult}``: make the gateway hold exactly
  these routes; only changed files are rewritten, stale ones removed.

The gateway reaches apps at their tasks' addresses (``Route.addresses``) and through
Docker's DNS (``tasks.<service>``), so the app's service must be attached to
``paas.naming.apps_network()``.

Callers that cannot reach the gateway at all (engine down, gateway not running)
get :class:`GatewayUnavailable`, which is worth retrying later.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field

from routing import validation
from routing.validation import hostname_error, is_label

__all__ = [
    "GatewayUnavailable",
    "Host",
    "Route",
    "RouteResult",
    "TlsPair",
    "hostname_error",
    "is_label",
    "route_errors",
]


class GatewayUnavailable(Exception):
    """The gateway could not be reached to check or reload a config. Transient."""


@dataclass(frozen=True)
class TlsPair:
    """A certificate chain (server certificate first) and its key, as PEM text.

    The gateway writes both into one file named after their digest, readable
    only by its owner; a new pair is a new file, so a refused config never
    points the live one at a half-changed certificate.
    """

    chain_pem: str
    key_pem: str = field(repr=False)

    @property
    def file_name(self) -> str:
        digest = hashlib.sha256((self.chain_pem + self.key_pem).encode()).hexdigest()
        return f"{digest[:24]}.pem"


@dataclass(frozen=True)
class Host:
    """How one of a route's hostnames is served, beyond plain HTTP to the app.

    ``tls``: also serve HTTPS with this pair. ``force_https``: plain HTTP
    redirects to HTTPS (only once there is a ``tls`` pair). ``redirect_to``:
    an alias; every request redirects to that hostname (the app's primary).
    """

    name: str
    tls: TlsPair | None = None
    force_https: bool = False
    redirect_to: str | None = None


@dataclass(frozen=True)
class Route:
    """One routed app.

    ``name`` is the app name (a DNS label); the gateway file is ``<name>.conf``.
    ``hostnames``: the first is the primary, e.g. ``("shop.example.com",)``.
    ``service``: the swarm service name; the upstream is ``tasks.<service>:<port>``.
    ``port``: the container's HTTP port.
    """

    name: str
    hostnames: tuple[str, ...]
    service: str
    port: int
    websocket: bool = True
    # Options per hostname (TLS, HTTPS redirect, alias); unlisted names are plain HTTP.
    hosts: tuple[Host, ...] = ()
    # (user, crypt hash) pairs; any user makes the app ask for a password.
    basic_auth: tuple[tuple[str, str], ...] = ()
    # Directives placed in the app's location; ``trusted`` lifts the allowlist.
    snippet: str = ""
    trusted: bool = False
    # The service's running tasks on the apps network, when known: nginx then keeps
    # connections to them open and spreads requests over them (Docker's DNS stays the
    # fallback for addresses that went stale).
    addresses: tuple[str, ...] = ()

    def host(self, name: str) -> Host:
        return next((h for h in self.hosts if h.name == name), Host(name=name))


@dataclass(frozen=True)
class RouteResult:
    ok: bool
    # The nginx -t output (paths made readable) when refused, fit to show a user.
    error: str = ""


def route_errors(route: Route) -> list[str]:
    """Everything wrong with a route; empty when it can be rendered safely."""
    errors: list[str] = []
    if not is_label(route.name):
        errors.append(f"app name {route.name!r} is not a DNS label")
    if not route.hostnames:
        errors.append("a route needs at least one hostname")
    for hostname in route.hostnames:
        problem = hostname_error(hostname)
        if problem:
            errors.append(problem)
    if len(set(route.hostnames)) != len(route.hostnames):
        errors.append("a hostname is listed twice")
    # Swarm service names: letters, digits, hyphens, underscores, dots; no leading dot.
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", route.service or ""):
        errors.append(f"service name {route.service!r} is not a valid swarm service name")
    if not isinstance(route.port, int) or isinstance(route.port, bool):
        errors.append("the port must be a whole number")
    elif not 1 <= route.port <= 65535:
        errors.append(f"port {route.port} is not between 1 and 65535")
    for address in route.addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            errors.append(f"{address!r} is not an IP address")
    errors.extend(_option_errors(route))
    return errors


def _option_errors(route: Route) -> list[str]:
    errors: list[str] = []
    names = set(route.hostnames)
    for host in route.hosts:
        if host.name not in names:
            errors.append(f"options for {host.name[:60]!r}, which the route does not list")
        if host.redirect_to is not None and (
            host.redirect_to not in names or route.host(host.redirect_to).redirect_to
        ):
            errors.append(f"{host.name} redirects to a hostname the app does not serve")
    for username, hashed in route.basic_auth:
        problem = validation.username_problem(username) or (
            validation.htpasswd_hash_problem(hashed) and "its password hash is not one nginx reads"
        )
        if problem:
            errors.append(f"basic-auth user {username[:40]!r}: {problem}")
    if route.snippet:
        problem = validation.snippet_problem(route.snippet, trusted=route.trusted)
        if problem:
            errors.append(problem)
    return errors
