"""Applying routes to the gateway: render, stage, ``nginx -t``, swap, reload.

The interface (see :mod:`routing.routes`): :func:`apply_route`,
:func:`remove_route`, :func:`sync_routes`. Callable from Celery tasks and
management commands; every change holds the namespace's gateway lock, so the
web, worker and beat processes never interleave a check and a reload.

With ``BERTH_GATEWAY=external`` the same calls write server blocks and Traefik
documents for another proxy instead, and nothing is reloaded.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from paas import naming, transport
from routing import files, portal, render, state
from routing.files import Layout
from routing.routes import GatewayUnavailable, Route, RouteResult, route_errors

log = logging.getLogger(__name__)

PORTAL = "_portal"
# Sends SIGHUP, then waits until the master runs a worker it did not have
# before and every old worker has stopped accepting ("shutting down"): from
# then on every new connection meets the new config.
RELOAD_SCRIPT = r"""
conf="$1"; master=$(cat /tmp/berth-nginx.pid) || exit 1
workers() {
  for s in /proc/[0-9]*/stat; do
    read -r p c st pp rest 2>/dev/null <"$s" && [ "$pp" = "$master" ] && echo "$p"
  done
}
before=" $(workers | tr '\n' ' ') "
nginx -c "$conf" -s reload || exit 1
i=0
while [ "$i" -lt 200 ]; do
  fresh=0; stale=0
  for p in $(workers); do
    case "$before" in
      *" $p "*) case "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" in
          *"shutting down"*) ;;
          *) stale=1 ;;
        esac ;;
      *) fresh=1 ;;
    esac
  done
  [ "$fresh" = 1 ] && [ "$stale" = 0 ] && exit 0
  sleep 0.02; i=$((i + 1))
done
echo "nginx did not switch its workers to the new config within 4 s"; exit 1
"""


def external() -> bool:
    return bool(settings.BERTH_GATEWAY == "external")


def main_config() -> render.MainConfig:
    return render.MainConfig(namespace=naming.namespace(), user=settings.BERTH_GATEWAY_USER)


def site_text(route: Route) -> str:
    return render.site_conf(
        route,
        namespace=naming.namespace(),
        http_port=settings.BERTH_GATEWAY_HTTP_PORT,
        https_port=settings.BERTH_GATEWAY_HTTPS_PORT,
    )


def write_route_files(lay: Layout, route: Route) -> None:
    """The certificate and password files the route's config refers to (before its check).

    Their names are digests of their content, so the live config keeps the
    files it was checked with until the new one is swapped in.
    """
    lay.ensure()
    for pair in render.tls_pairs(route):
        files.write_atomic(lay.tls / pair.file_name, pair.chain_pem + pair.key_pem, mode=0o600)
    auth = render.auth_file(route)
    if auth is not None:
        # nginx workers (an unprivileged user) read this file on every request.
        files.write_atomic(lay.auth / auth[0], auth[1], mode=0o644)


def portal_site(lay: Layout) -> str | None:
    """The portal's file (None: not routed), its certificate file written first."""
    name = portal.hostname()
    if name is None or not settings.BERTH_PORTAL_UPSTREAM:
        return None
    pair = portal.served_pair()
    if pair is not None:
        lay.ensure()
        files.write_atomic(lay.tls / pair.file_name, pair.chain_pem + pair.key_pem, mode=0o600)
    return render.portal_conf(
        hostname=name,
        upstream=settings.BERTH_PORTAL_UPSTREAM,
        namespace=naming.namespace(),
        # Past Berth's own limits, so the portal answers a too-large upload in words.
        max_body_mb=max(settings.BERTH_UPLOAD_LIMIT_MB, settings.BERTH_VOLUME_UPLOAD_LIMIT_MB) + 1,
        tls=pair,
        https_port=settings.BERTH_GATEWAY_HTTPS_PORT,
        # A followed log stream lasts this long, however quiet its app.
        quiet_seconds=settings.BERTH_LOG_FOLLOW_SECONDS,
    )


# --- the gateway container ---------------------------------------------------------


def gateway_container(*, wait: float = 15.0) -> str:
    """The id of the gateway's running container on this engine."""
    service = naming.gateway_service()
    deadline = time.monotonic() + wait
    while True:
        try:
            found = transport.call(
                transport.client().containers.list,
                filters={"label": f"com.docker.swarm.service.name={service}", "status": "running"},
            )
        except transport.EngineError as exc:
            raise GatewayUnavailable(f"the Docker engine did not answer: {exc}") from exc
        if found:
            return str(found[0].id)
        if not _service_exists(service):
            raise GatewayUnavailable(
                f"there is no gateway service {service}; run `manage.py bootstrap`"
            )
        if time.monotonic() > deadline:
            raise GatewayUnavailable(
                f"the gateway service {service} has no running container on this node; "
                "run `manage.py bootstrap` or look at the service's tasks"
            )
        time.sleep(0.2)


def _service_exists(name: str) -> bool:
    try:
        found = transport.call(transport.client().services.list, filters={"name": name})
    except transport.EngineError as exc:
        raise GatewayUnavailable(f"the Docker engine did not answer: {exc}") from exc
    return any(service.name == name for service in found)


def _exec(container: str, cmd: list[str]) -> tuple[int, str]:
    try:
        return transport.exec_in(container, cmd)
    except transport.EngineError as exc:
        raise GatewayUnavailable(f"could not run {cmd[0]} in the gateway: {exc}") from exc


def _readable(output: str, lay: Layout) -> str:
    """nginx -t output without container paths or its closing boilerplate."""
    text = re.sub(rf"{render.CONTAINER_ROOT}/staging/[0-9a-f]+/", "", output)
    text = text.replace(f"{render.CONTAINER_ROOT}/", "")
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and "test failed" not in line and "syntax is ok" not in line
    ]
    return "\n".join(lines) or "nginx refused the configuration"


def check(container: str, lay: Layout, staged: Path, includes: list[Path]) -> tuple[bool, str]:
    """``nginx -t`` of the main config with exactly these site files, inside the gateway."""
    test_conf = staged / "nginx.conf"
    test_conf.write_text(
        render.main_conf(main_config(), includes=[lay.in_container(p) for p in includes])
    )
    code, output = _exec(container, ["nginx", "-t", "-q", "-c", lay.in_container(test_conf)])
    return code == 0, output


def reload(container: str, lay: Layout) -> None:
    code, output = _exec(
        container, ["sh", "-c", RELOAD_SCRIPT, "reload", lay.in_container(lay.main_conf)]
    )
    if code != 0:
        message = f"the gateway did not reload: {_readable(output, lay)}"
        state.record_error(message)
        raise GatewayUnavailable(message)
    files.remove(lay.reload_pending)
    state.record_reload(routes=len(files.live_sites(lay)))


def ensure_main_conf(lay: Layout) -> bool:
    lay.ensure()
    return files.write_atomic(lay.main_conf, render.main_conf(main_config()))


# --- applying a set of changes -----------------------------------------------------


def _failing_file(output: str) -> str | None:
    match = re.search(rf"{render.CONTAINER_ROOT}/staging/[0-9a-f]+/([^/:\s]+)\.conf:\d+", output)
    return match.group(1) if match else None


def apply_changes(
    lay: Layout, changed: dict[str, str], removed: set[str]
) -> dict[str, RouteResult]:
    """Check ``changed`` (name -> text) with the rest of the live set, swap, reload.

    Must be called with the lock held. A refused file is dropped from the
    change and reported; the others go ahead.
    """
    results: dict[str, RouteResult] = {}
    container = gateway_container()
    ensure_main_conf(lay)
    with files.staging_dir(lay) as staged:
        pending: dict[str, Path] = {}
        for name, text in changed.items():
            path = staged / f"{name}.conf"
            path.write_text(text)
            pending[name] = path
        while pending:
            keep = [
                path
                for name, path in sorted(files.live_sites(lay).items())
                if name not in pending and name not in removed
            ]
            portal = lay.site(PORTAL)
            if PORTAL not in pending and PORTAL not in removed and portal.exists():
                keep.append(portal)
            ok, output = check(container, lay, staged, keep + list(pending.values()))
            if ok:
                break
            culprit = _failing_file(output)
            if culprit in pending:
                results[culprit] = RouteResult(ok=False, error=_readable(output, lay))
                del pending[culprit]
                continue
            # Not pinned on one staged file: try each alone against the live set.
            for name, path in list(pending.items()):
                alone_ok, alone_output = check(container, lay, staged, [*keep, path])
                if not alone_ok:
                    results[name] = RouteResult(ok=False, error=_readable(alone_output, lay))
                    del pending[name]
            if pending and not check(container, lay, staged, keep + list(pending.values()))[0]:
                message = (
                    f"the gateway's current files do not pass nginx -t: {_readable(output, lay)}"
                )
                for name in pending:
                    results[name] = RouteResult(ok=False, error=message)
                pending.clear()
        swapped = bool(pending) or any(lay.site(name).exists() for name in removed)
        for name, path in pending.items():
            path.replace(lay.site(name))
            results[name] = RouteResult(ok=True)
        for name in removed:
            files.remove(lay.site(name))
    refused = {name: r.error for name, r in results.items() if not r.ok}
    if refused:
        state.record_error("\n".join(f"{name}: {error}" for name, error in refused.items()))
    if swapped or lay.reload_pending.exists():
        lay.reload_pending.touch()
        reload(container, lay)
    return results


# --- the interface -----------------------------------------------------------------


def _conflicts(lay: Layout, route: Route) -> str | None:
    wanted = set(route.hostnames)
    for name, path in files.live_sites(lay).items():
        if name == route.name:
            continue
        taken = wanted.intersection(render.site_hostnames(files.read(path) or ""))
        if taken:
            return f"{', '.join(sorted(taken))} is already routed to the app {name}"
    return None


def apply_route(route: Route) -> RouteResult:
    """Route ``route.hostnames`` to the app's tasks; a refused file keeps the last good one."""
    errors = route_errors(route)
    if errors:
        return RouteResult(ok=False, error="; ".join(errors))
    lay = files.layout()
    if external():
        return _write_external(lay, [route], set())[route.name]
    with files.locked(lay):
        conflict = _conflicts(lay, route)
        if conflict:
            return RouteResult(ok=False, error=conflict)
        text = site_text(route)
        write_route_files(lay, route)
        if files.read(lay.site(route.name)) == text and not lay.reload_pending.exists():
            return RouteResult(ok=True)
        result = apply_changes(lay, {route.name: text}, set())[route.name]
        files.collect_garbage(lay)
        return result


def remove_route(name: str) -> None:
    """Stop routing the app ``name`` (nothing happens when it is not routed)."""
    lay = files.layout()
    if external():
        _write_external(lay, [], {name})
        return
    with files.locked(lay):
        if lay.site(name).exists() or lay.reload_pending.exists():
            apply_changes(lay, {}, {name})
            files.collect_garbage(lay)


def sync_routes(routes: Iterable[Route]) -> dict[str, RouteResult]:
    """Make the gateway hold exactly ``routes`` (and the portal when configured).

    Unchanged files are left alone, so one changed app rewrites one file;
    files of apps no longer listed are removed.
    """
    results: dict[str, RouteResult] = {}
    wanted: list[Route] = []
    claimed: dict[str, str] = {}
    for route in sorted(routes, key=lambda r: r.name):
        errors = route_errors(route)
        if route.name in results or any(r.name == route.name for r in wanted):
            errors.append(f"the app {route.name} is listed twice")
        taken = [h for h in route.hostnames if h in claimed]
        if taken:
            errors.append(f"{', '.join(taken)} is already routed to the app {claimed[taken[0]]}")
        if errors:
            results[route.name] = RouteResult(ok=False, error="; ".join(errors))
            continue
        claimed.update(dict.fromkeys(route.hostnames, route.name))
        wanted.append(route)
    lay = files.layout()
    if external():
        written = (
            {p.stem for p in lay.external_nginx.glob("*.conf")}
            if lay.external_nginx.is_dir()
            else set()
        )
        results.update(_write_external(lay, wanted, written - {r.name for r in wanted}))
        return results
    with files.locked(lay):
        live = files.live_sites(lay)
        changed: dict[str, str] = {}
        for route in wanted:
            text = site_text(route)
            current = files.read(live[route.name]) if route.name in live else None
            write_route_files(lay, route)
            if current == text:
                results[route.name] = RouteResult(ok=True)
            else:
                changed[route.name] = text
        removed = set(live) - {r.name for r in wanted}
        portal_file = portal_site(lay)
        if portal_file is None:
            if lay.site(PORTAL).exists():
                removed.add(PORTAL)
        elif files.read(lay.site(PORTAL)) != portal_file:
            changed[PORTAL] = portal_file
        if changed or removed or lay.reload_pending.exists():
            results.update(apply_changes(lay, changed, removed))
            files.collect_garbage(lay)
        else:
            state.record_routes(len(live))
    results.pop(PORTAL, None)
    return results


def apply_portal() -> RouteResult | None:
    """Route the portal's subdomain (or stop routing it); None when nothing changed."""
    if external():
        return None
    lay = files.layout()
    with files.locked(lay):
        text = portal_site(lay)
        current = files.read(lay.site(PORTAL))
        if current == text:
            return None
        if text is None:
            apply_changes(lay, {}, {PORTAL})
            files.collect_garbage(lay)
            return RouteResult(ok=True)
        result = apply_changes(lay, {PORTAL: text}, set())[PORTAL]
        # The certificate the portal was served with before a renewal.
        files.collect_garbage(lay)
        return result


# --- beside an external proxy ------------------------------------------------------


def _write_external(lay: Layout, routes: list[Route], removed: set[str]) -> dict[str, RouteResult]:
    """Server blocks (no listen line) and Traefik documents, one pair per app."""
    namespace = naming.namespace()
    with files.locked(lay):
        for route in routes:
            text = render.site_conf(route, namespace=namespace, listen=None)
            files.write_atomic(lay.external_nginx / f"{route.name}.conf", text)
            files.write_atomic(
                lay.external_traefik / f"{route.name}.yml",
                render.traefik_yaml(route, namespace=namespace),
            )
        for name in removed:
            files.remove(lay.external_nginx / f"{name}.conf")
            files.remove(lay.external_traefik / f"{name}.yml")
    return {route.name: RouteResult(ok=True) for route in routes}
