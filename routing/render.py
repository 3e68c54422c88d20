"""Pure functions that turn routes into gateway config text (nginx and Traefik).

Nothing here touches files, settings or the engine, so every shape of config is
unit-tested as text. Every value placed into a config comes from a validated
:class:`~routing.routes.Route` (DNS names, whole numbers) or from Berth itself,
so no user input can add a directive.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import yaml

from routing import htpasswd
from routing.routes import Host, Route, TlsPair, hostname_error, route_errors
from routing.validation import snippet_directives

# Docker's embedded DNS inside every container on a user-defined network: how an
# app without known task addresses is reached, and the fallback of one with them. A
# one-second validity (nginx counts whole seconds: 1-2 s) lets a task that started
# answer soon (bench/deploys.py: median 5.3 s with valid=5s, 2.0 s with valid=1s);
# the embedded DNS answers locally, so the extra lookups cost little.
RESOLVER = "resolver 127.0.0.11 valid=1s ipv6=off;\n    resolver_timeout 2s;"
CONTAINER_ROOT = "/etc/berth"
HEADER = "# Written by Berth"

UNAVAILABLE_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8>"
    '<meta name=viewport content="width=device-width">'
    '<title>App unavailable</title></head><body style="font-family:sans-serif;'
    'max-width:36em;margin:4em auto;padding:0 1em"><h1>This app is not running right now</h1>'
    "<p>The app behind this address has no running instance, or none answered in time. "
    "If you own it, check its deployments in Berth; it may be starting or scaled to zero.</p>"
    "<p>Try again in a moment.</p></body></html>"
)
NO_APP_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8>"
    '<meta name=viewport content="width=device-width">'
    '<title>No app here</title></head><body style="font-family:sans-serif;'
    'max-width:36em;margin:4em auto;padding:0 1em"><h1>No app here</h1>'
    "<p>This address does not belong to any app on this Berth gateway. "
    "Check the spelling of the address, or add it as a domain of your app.</p></body></html>"
)


# Served on port 80 of every server (the default one included) before anything
# else: ACME HTTP-01 answers and Berth's own domain check, both from folders of
# the gateway directory, never behind basic auth or an HTTPS redirect.
WELL_KNOWN = f"""    location ^~ /.well-known/acme-challenge/ {{
        auth_basic off;
        default_type text/plain;
        alias {CONTAINER_ROOT}/acme/;
    }}
    location ^~ /.well-known/berth-verify/ {{
        auth_basic off;
        default_type text/plain;
        alias {CONTAINER_ROOT}/verify/;
    }}
"""
# Directives Berth sets in an app's location that a snippet may set instead
# (nginx refuses the same one twice).
OVERRIDABLE = (
    "proxy_http_version",
    "proxy_connect_timeout",
    "proxy_send_timeout",
    "proxy_read_timeout",
    "proxy_next_upstream",
    "proxy_next_upstream_tries",
)


class RenderError(ValueError):
    """The input cannot be rendered safely (a bug in the caller: inputs are validated first)."""


@dataclass(frozen=True)
class MainConfig:
    """What the gateway's own nginx.conf needs."""

    namespace: str
    # The unprivileged user nginx workers run as; it must exist in the image.
    user: str = "nginx"
    # Where the gateway folder is mounted inside the gateway container.
    root: str = CONTAINER_ROOT
    worker_connections: int = 4096


def quote(text: str) -> str:
    """An nginx single-quoted string; refuses characters nginx would interpret."""
    if re.search(r"['\\$\x00-\x1f]", text):
        raise RenderError("text for nginx must not hold quotes, backslashes, $ or control chars")
    return f"'{text}'"


def _check(route: Route) -> None:
    errors = route_errors(route)
    if errors:
        raise RenderError("; ".join(errors))


def main_conf(config: MainConfig, includes: Sequence[str] | None = None) -> str:
    """The gateway's nginx.conf: global settings, the default server, and the sites.

    ``includes`` lists the site files to include; None includes every file in
    ``<root>/sites`` (the live set). The staged check passes an explicit list.
    """
    if not re.match(r"^[a-z_][a-z0-9_-]{0,31}$", config.user):
        raise RenderError(f"{config.user!r} is not a user name")
    if includes is None:
        includes = [f"{config.root}/sites/*.conf"]
    include_lines = "\n".join(f"    include {path};" for path in includes)
    return f"""{HEADER} (namespace {config.namespace}); it is rewritten, do not edit.
user {config.user};
worker_processes auto;
pid /tmp/berth-nginx.pid;
error_log stderr warn;

events {{
    worker_connections {config.worker_connections};
}}

http {{
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    client_max_body_size 100m;
    server_names_hash_bucket_size 256;
    server_names_hash_max_size 65536;
    log_format berth '$remote_addr $host [$time_local] "$request" $status '
                     '$body_bytes_sent $request_time "$upstream_addr"';
    # Written in 64 KB batches (at least once a second): a line per request through the
    # container's log driver cost the gateway half its throughput (bench/gateway.py).
    access_log /dev/stdout berth buffer=64k flush=1s;
    {RESOLVER}
    # 1 when a request that no task of an app's group answered may go again by DNS:
    # nothing of it reached a task, or its method is safe to repeat.
    map "$request_method:$upstream_bytes_sent" $berth_resend {{
        default 0;
        "~^(GET|HEAD|OPTIONS):" 1;
        "~^[A-Z]+:[0 ,:]*$" 1;
    }}
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:berth_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;

    # Any host no app claims; TLS for a name without a certificate is refused.
    server {{
        listen 80 default_server;
        listen 443 ssl default_server;
        ssl_reject_handshake on;
        server_name _;
{WELL_KNOWN}
        location = /_berth/health {{
            access_log off;
            default_type text/plain;
            return 200 'ok';
        }}
        location / {{
            default_type text/html;
            return 404 {quote(NO_APP_PAGE)};
        }}
    }}

{include_lines}
}}
"""


def site_conf(
    route: Route,
    *,
    namespace: str,
    listen: int | None = 80,
    http_port: int = 80,
    https_port: int = 443,
) -> str:
    """One app's file: its server blocks for every hostname it serves.

    Plain names proxy to ``tasks.<service>:<port>`` on port 80; a name with a
    TLS pair is also served on 443 with it, and with ``force_https`` its port
    80 redirects there; an alias redirects to the name it points at. Known task
    addresses become an upstream group (:func:`upstream_block`); otherwise, and
    behind the group, the upstream is a variable that nginx resolves through
    Docker's DNS (no swarm virtual IP, which needs IPVS), so it starts even when
    the app has no task. ``listen=None`` renders plain HTTP with no listen line, for
    an external proxy that includes the file. ``http_port``/``https_port`` are
    the public ports redirects point at.
    """
    _check(route)
    head = _header(f"berth-route {route.name}", route.hostnames, namespace)
    if listen is None:
        # The other proxy has none of the gateway folder's files (TLS, passwords) nor
        # the gateway's main config: it reaches the tasks by name.
        bare = replace(route, hosts=(), basic_auth=(), addresses=())
        return head + _proxy_server(bare, route.hostnames, listen=None, tls=None)
    plain: list[str] = []
    to_https: list[str] = []
    secure: dict[str, tuple[TlsPair, list[str]]] = {}
    aliases: list[Host] = []
    for name in route.hostnames:
        host = route.host(name)
        if host.redirect_to:
            aliases.append(host)
            continue
        if host.tls is not None:
            secure.setdefault(host.tls.file_name, (host.tls, []))[1].append(name)
        (to_https if host.tls is not None and host.force_https else plain).append(name)
    blocks: list[str] = []
    if plain:
        blocks.append(_proxy_server(route, plain, listen=f"{listen}", tls=None))
    if to_https:
        target = f"https://$host{_port_suffix(https_port, 443)}$request_uri"
        blocks.append(_redirect_server(to_https, listen=f"{listen}", tls=None, target=target))
    for pair, names in secure.values():
        blocks.append(_proxy_server(route, names, listen="443 ssl", tls=pair))
    for alias in aliases:
        primary = route.host(alias.redirect_to or "")
        if primary.tls is not None:
            url = f"https://{primary.name}{_port_suffix(https_port, 443)}$request_uri"
        else:
            url = f"http://{primary.name}{_port_suffix(http_port, 80)}$request_uri"
        blocks.append(_redirect_server([alias.name], listen=f"{listen}", tls=None, target=url))
        if alias.tls is not None:
            blocks.append(
                _redirect_server([alias.name], listen="443 ssl", tls=alias.tls, target=url)
            )
    return head + upstream_block(route) + "\n".join(blocks)


def upstream_name(route: Route) -> str:
    return f"berth-{route.name}"


def upstream_block(route: Route) -> str:
    """The app's running tasks as a group whose connections nginx keeps open.

    A task that refuses or times out is left out for 30 s (a deploy or the reconcile
    writes the current addresses sooner); when no task of the group answers, the
    request goes by Docker's DNS (``@berth_dns``). Idle connections close after a
    second, before the app's own server would (gunicorn keeps them 2 s), so nginx
    never reuses one the app is closing.
    """
    if not route.addresses:
        return ""
    servers = "".join(
        f"    server {_address(address, route.port)} max_fails=1 fail_timeout=30s;\n"
        for address in route.addresses
    )
    return (
        f"upstream {upstream_name(route)} {{\n{servers}"
        "    keepalive 16;\n    keepalive_timeout 1s;\n}\n\n"
    )


def _address(address: str, port: int) -> str:
    parsed = ipaddress.ip_address(address)
    return f"[{parsed}]:{port}" if parsed.version == 6 else f"{parsed}:{port}"


def auth_file(route: Route) -> tuple[str, str] | None:
    """The app's htpasswd file as (name, text), None without basic-auth users."""
    if not route.basic_auth:
        return None
    text = htpasswd.file_text(list(route.basic_auth))
    digest = hashlib.sha256(f"{route.name}\n{text}".encode()).hexdigest()[:24]
    return f"{digest}.htpasswd", text


def tls_pairs(route: Route) -> list[TlsPair]:
    """Every distinct TLS pair the route's file refers to."""
    found: dict[str, TlsPair] = {}
    for host in route.hosts:
        if host.tls is not None and host.name in route.hostnames:
            found.setdefault(host.tls.file_name, host.tls)
    return list(found.values())


def portal_conf(
    *,
    hostname: str,
    upstream: str,
    namespace: str,
    max_body_mb: int = 100,
    tls: TlsPair | None = None,
    https_port: int = 443,
    quiet_seconds: int = 3600,
) -> str:
    """The portal's own server block, when Berth runs as a service behind its gateway.

    ``upstream`` is ``host:port`` (a service name, a container or an address);
    ``max_body_mb`` the largest request body it passes (uploads). With a ``tls``
    pair the portal is served on 443 and port 80 redirects there (ACME and
    Berth's checks still answered): sign-ins and tokens never cross in clear.
    ``quiet_seconds``: how long an answer may send nothing before the gateway gives
    up on it (a followed log stream of a quiet app sends nothing for long).
    """
    problem = hostname_error(hostname)
    host, _, port = upstream.rpartition(":")
    if problem:
        raise RenderError(problem)
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$", host) or not port.isdigit():
        raise RenderError(f"portal upstream {upstream!r} must be host:port")
    if not 1 <= int(port) <= 65535:
        raise RenderError(f"portal upstream port {port} is not between 1 and 65535")
    portal = Route(name="portal", hostnames=(hostname,), service=host, port=int(port))
    head = _header("berth-portal", (hostname,), namespace)

    def proxied(listen: str) -> str:
        return _proxy_server(
            portal,
            (hostname,),
            listen=listen,
            tls=tls,
            upstream=host,
            max_body_mb=max_body_mb,
            timeout=f"{int(quiet_seconds)}s",
        )

    if tls is None:
        return head + proxied("80")
    target = f"https://$host{_port_suffix(https_port, 443)}$request_uri"
    return (
        head
        + _redirect_server((hostname,), listen="80", tls=None, target=target)
        + "\n"
        + proxied("443 ssl")
    )


def _port_suffix(port: int, default: int) -> str:
    return "" if port == default else f":{int(port)}"


def _header(marker: str, hostnames: Sequence[str], namespace: str) -> str:
    return (
        f"{HEADER} (namespace {namespace}); it is rewritten, do not edit.\n"
        f"# {marker}\n# hostnames {' '.join(hostnames)}\n"
    )


def _tls_lines(tls: TlsPair | None) -> str:
    if tls is None:
        return ""
    path = f"{CONTAINER_ROOT}/tls/{tls.file_name}"
    # One file holds the chain and the key; nginx reads both from it.
    return f"    ssl_certificate {path};\n    ssl_certificate_key {path};\n"


def _redirect_server(names: Sequence[str], *, listen: str, tls: TlsPair | None, target: str) -> str:
    well_known = WELL_KNOWN if tls is None else ""
    return f"""server {{
    listen {listen};
    server_name {" ".join(names)};
{_tls_lines(tls)}{well_known}    location / {{
        return 301 {target};
    }}
}}
"""


def _proxy_server(
    route: Route,
    names: Sequence[str],
    *,
    listen: str | None,
    tls: TlsPair | None,
    upstream: str | None = None,
    max_body_mb: int | None = None,
    timeout: str | None = None,
) -> str:
    listen_line = f"    listen {listen};\n" if listen is not None else ""
    if max_body_mb is not None:
        listen_line += f"    client_max_body_size {int(max_body_mb)}m;\n"
    websocket = route.websocket
    # Idle websockets stay open up to an hour; plain requests get a minute.
    timeout = timeout or ("3600s" if websocket else "60s")
    # Connections to a group of addresses stay open for the next request; by name,
    # each request opens and closes its own.
    group = bool(route.addresses) and upstream is None
    plain = '""' if group else '"close"'
    upgrade = (
        "        proxy_set_header Upgrade $http_upgrade;\n"
        "        proxy_set_header Connection $berth_connection;\n"
        if websocket
        else f"        proxy_set_header Connection {plain};\n"
    )
    connection = (
        "    # Pass a websocket upgrade through.\n"
        "    set $berth_connection upgrade;\n"
        '    if ($http_upgrade = "") {\n'
        f"        set $berth_connection {plain};\n"
        "    }\n"
        if websocket
        else ""
    )
    auth = ""
    auth_name = auth_file(route)
    if auth_name is not None:
        auth = (
            "    auth_basic 'Restricted';\n"
            f"    auth_basic_user_file {CONTAINER_ROOT}/auth/{auth_name[0]};\n"
        )
    well_known = WELL_KNOWN if tls is None and listen is not None else ""
    overridden = snippet_directives(route.snippet) if route.snippet else set()
    defaults = {
        "proxy_http_version": "proxy_http_version 1.1;",
        "proxy_connect_timeout": "proxy_connect_timeout 5s;",
        "proxy_send_timeout": f"proxy_send_timeout {timeout};",
        "proxy_read_timeout": f"proxy_read_timeout {timeout};",
        # A task that refuses (stopping during a rolling update) hands the
        # request to the next address of the name.
        "proxy_next_upstream": "proxy_next_upstream error timeout;",
        "proxy_next_upstream_tries": "proxy_next_upstream_tries 3;",
    }
    tuned = "".join(
        f"        {line}\n" for name, line in defaults.items() if name not in overridden
    )
    snippet = ""
    if route.snippet.strip():
        lines = "".join(f"        {line}\n" for line in route.snippet.strip().splitlines())
        snippet = f"        # The app's own snippet.\n{lines}"
    target = upstream or f"tasks.{route.service}"
    proxying = f"""        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
{upgrade}{tuned}{snippet}"""
    by_name = f"""        set $berth_upstream {target};
        proxy_pass http://$berth_upstream:{route.port};
{proxying}        error_page 502 503 504 = @berth_unavailable;
"""
    if group:
        locations = f"""    recursive_error_pages on;
    location / {{
        proxy_pass http://{upstream_name(route)};
{proxying}        error_page 502 503 504 = @berth_dns;
    }}

    # No task of the group answered: the tasks Docker's DNS knows now. A request
    # a task may have begun to handle goes again only if repeating it is safe.
    location @berth_dns {{
        if ($berth_resend = 0) {{
            return 502;
        }}
{by_name}    }}
"""
    else:
        locations = f"""    location / {{
{by_name}    }}
"""
    return f"""server {{
{listen_line}    server_name {" ".join(names)};
{_tls_lines(tls)}{auth}    {RESOLVER}
{connection}
{well_known}{locations}
    location @berth_unavailable {{
        default_type text/html;
        add_header Retry-After 5 always;
        add_header Cache-Control no-store always;
        return 503 {quote(UNAVAILABLE_PAGE)};
    }}
}}
"""


def site_route_name(text: str) -> str | None:
    """The route name a rendered site file says it holds (None for other files)."""
    match = re.search(r"^# berth-route ([a-z0-9-]+)$", text, re.MULTILINE)
    return match.group(1) if match else None


def site_hostnames(text: str) -> tuple[str, ...]:
    match = re.search(r"^# hostnames (.*)$", text, re.MULTILINE)
    return tuple(match.group(1).split()) if match else ()


def _traefik_rule(hostnames: Sequence[str]) -> str:
    rules = []
    for hostname in hostnames:
        if hostname.startswith("*."):
            # Traefik v3 regular-expression syntax; one label in place of the star.
            suffix = re.escape(hostname[2:])
            rules.append(f"HostRegexp(`^[a-z0-9-]+\\.{suffix}$`)")
        else:
            rules.append(f"Host(`{hostname}`)")
    return " || ".join(rules)


def traefik_yaml(route: Route, *, namespace: str) -> str:
    """A Traefik file-provider document routing the app's hostnames to its tasks."""
    _check(route)
    key = f"{namespace}-{route.name}"
    document = {
        "http": {
            "routers": {
                key: {
                    "rule": _traefik_rule(route.hostnames),
                    "service": key,
                }
            },
            "services": {
                key: {
                    "loadBalancer": {
                        "servers": [{"url": f"http://tasks.{route.service}:{route.port}"}],
                        "passHostHeader": True,
                    }
                }
            },
        }
    }
    header = f"{HEADER} (namespace {namespace}); it is rewritten, do not edit.\n"
    return header + yaml.safe_dump(document, sort_keys=False)
