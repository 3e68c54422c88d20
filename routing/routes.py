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

The gateway reaches apps through Docker's DNS (``tasks.<service>``), so the
app's service must be attached to ``paas.naming.apps_network()``.

Callers that cannot reach the gateway at all (engine down, gateway not running)
get :class:`GatewayUnavailable`, which is worth retrying later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A DNS label: lowercase letters, digits and hyphens, 1-63, no hyphen at either end.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_WILDCARD = "*"


class GatewayUnavailable(Exception):
    """The gateway could not be reached to check or reload a config. Transient."""


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


@dataclass(frozen=True)
class RouteResult:
    ok: bool
    # The nginx -t output (paths made readable) when refused, fit to show a user.
    error: str = ""


def is_label(value: str) -> bool:
    return bool(_LABEL.match(value))


def hostname_error(hostname: str) -> str | None:
    """Why ``hostname`` cannot be routed, or None when it is fine.

    Only lowercase DNS names (and a leading ``*.`` wildcard) pass, so nothing a
    user types can break out of an nginx ``server_name`` line.
    """
    if not isinstance(hostname, str) or not hostname:
        return "a hostname is required"
    if len(hostname) > 253:
        return f"{hostname[:40]}...: a hostname has at most 253 characters"
    labels = hostname.split(".")
    if labels[0] == _WILDCARD:
        labels = labels[1:]
        if len(labels) < 2:
            return f"{hostname}: a wildcard needs at least two labels after it"
    for label in labels:
        if not is_label(label):
            return (
                f"{hostname}: each part must be lowercase letters, digits or hyphens "
                "(1-63, no hyphen at either end)"
            )
    return None


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
    return errors
