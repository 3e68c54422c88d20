"""Load on three apps, straight to the app's task, through Berth's gateway, and through a
bare nginx proxy (the baseline: what one proxy hop costs on this machine), with ``wrk``.

Two loads per target, rounds interleaved so all targets see the same machine:

- saturated: 16 connections sending as fast as answers come (throughput; at
  saturation the latency is mostly queueing, so it moves with throughput);
- paced: the same 16 connections, each waiting BENCH_PACED_DELAY_MS (default 10)
  between requests, about 1,500 requests a second: the latency a hop adds when
  nothing queues.

The apps: busybox httpd (the tests' app; it closes every connection and forks per
request), a small JSON app on Python's threading server (some work per request, like
a light web app) and nginx serving a small file (next to no work per request). wrk
starts its clock after connecting, so straight to busybox it leaves out the connect
that the gateway's time includes.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "bench.example.test"
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PACED_DELAY_MS = int(os.environ.get("BENCH_PACED_DELAY_MS", "10"))
CONNECTIONS = 16
TARGETS = ("direct", "gateway", "bare")

# nginx serving a small file; a backlog long enough that connects are never dropped.
STATIC_CONF = (
    "worker_processes 1; pid /tmp/origin.pid; events {} "
    "http { access_log off; server { listen 80 backlog=4096; root /tmp/www; } }"
)
STATIC_COMMAND = [
    "sh",
    "-c",
    "mkdir -p /tmp/www && echo hello > /tmp/www/index.html && "
    f"echo '{STATIC_CONF}' > /tmp/origin.conf && "
    "exec nginx -c /tmp/origin.conf -g 'daemon off;'",
]


@dataclass(frozen=True)
class BenchApp:
    name: str
    image: str
    command: list[str] | None
    path: str
    about: str


def bench_apps() -> list[BenchApp]:
    web = os.environ.get("BERTH_TEST_WEB_IMAGE", "berth-test/web:1")
    nginx = os.environ.get("BERTH_TEST_NGINX_IMAGE", "berth-test/nginx:1")
    python = os.environ.get("BERTH_TEST_BASE_IMAGE", "berth-test/python:bookworm")
    source = (Path(__file__).parent / "_json_app.py").read_text()
    return [
        BenchApp("busybox", web, None, "/index.html", "busybox httpd, a new connection each"),
        BenchApp("json", python, ["python3", "-c", source], "/items", "a Python JSON app"),
        BenchApp("static", nginx, STATIC_COMMAND, "/index.html", "nginx serving a small file"),
    ]


def wrk(url: str, host: str, *, paced: bool) -> dict[str, float]:
    """One wrk run: requests a second, p50/p99 in ms, and how many answers went wrong."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(f"function delay() return {PACED_DELAY_MS if paced else 0} end\n")
        script.flush()
        out = subprocess.run(
            [
                *("wrk", "-t2", f"-c{CONNECTIONS}", f"-d{WRK_SECONDS}s", "--latency"),
                *("-s", script.name, "-H", f"Host: {host}", url),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def number(pattern: str) -> float:
        found = re.search(pattern, out, re.M)
        return float(found.group(1)) if found else 0.0

    def percentile(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "requests": number(r"^\s+(\d+) requests in"),
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "non_2xx": number(r"Non-2xx or 3xx responses: (\d+)"),
        "timeouts": number(r"Socket errors: .*timeout (\d+)"),
    }


def cpu_seconds(client: Any, container_id: str) -> float:
    """User + system CPU time of a container's processes so far (host /proc)."""
    top = client.api.top(container_id)
    column = top["Titles"].index("PID")
    total = 0
    for row in top["Processes"]:
        # After the command's closing parenthesis: state is field 3, utime 14, stime 15.
        fields = Path(f"/proc/{row[column]}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def gwbridge_address(client: Any, container_id: str) -> str:
    containers = client.networks.get("docker_gwbridge").attrs["Containers"]
    return str(containers[container_id]["IPv4Address"].split("/")[0])


def running_container(client: Any, service: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.api.containers(
            filters={"label": f"com.docker.swarm.service.name={service}", "status": "running"}
        )
        if found:
            return str(found[0]["Id"])
        time.sleep(0.2)
    raise RuntimeError(f"{service} has no running container")


def wait_ok(url: str, host: str, timeout: float = 30) -> None:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=3)
            conn.request("GET", parts.path, headers={"Host": host})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} (Host: {host}) did not answer 200")


def _service(client: Any, name: str, image: str, command: list[str] | None) -> Any:
    import docker.types

    from paas import naming

    labels = {naming.NAMESPACE_LABEL: naming.namespace(), naming.KIND_LABEL: "bench-app"}
    return client.services.create(
        image,
        command,
        name=name,
        networks=[naming.apps_network()],
        endpoint_spec=docker.types.EndpointSpec(mode="dnsrr"),
        labels=labels,
        container_labels=labels,
        stop_grace_period=1_000_000_000,
    )


def routed_app(client: Any, app: BenchApp) -> tuple[str, tuple[str, ...]]:
    """A one-task app routed at ``<name>.<HOST>`` as Berth routes apps (a group of its task
    addresses, DNS behind it): its address on the gateway's bridge, and on the apps network."""
    from apps.engine import running_addresses
    from paas import naming
    from routing import gateway
    from routing.routes import Route

    service = _service(client, naming.app_service(app.name), app.image, app.command)
    address = gwbridge_address(client, running_container(client, service.name))
    deadline = time.monotonic() + 30
    # The container can run before swarm's task list says so.
    while not (found := running_addresses(naming.apps_network(), service.name)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{service.name} has no running task")
        time.sleep(0.2)
    tasks = next(iter(found.values()))
    route = Route(
        name=app.name,
        hostnames=(f"{app.name}.{HOST}",),
        service=service.name,
        port=80,
        addresses=tasks,
    )
    result = gateway.apply_route(route)
    if not result.ok:
        raise RuntimeError(result.error)
    return address, tasks


def bare_proxy(client: Any, upstreams: dict[str, tuple[str, ...]]) -> str:
    """nginx with nothing but a kept-alive upstream per app (no log, no headers, no
    fallback), on the same networks as the gateway: its container's id."""
    from paas import naming

    blocks = []
    for name, addresses in upstreams.items():
        servers = " ".join(f"server {address}:80;" for address in addresses)
        blocks.append(
            f"upstream {name} {{ {servers} keepalive 16; }} "
            f"server {{ listen 80; server_name {name}.{HOST}; location / {{ "
            f'proxy_pass http://{name}; proxy_http_version 1.1; proxy_set_header Connection ""; }} }}'
        )
    conf = (
        "worker_processes auto; pid /tmp/bare.pid; events { worker_connections 4096; } "
        f"http {{ access_log off; {' '.join(blocks)} }}"
    )
    command = [
        "sh",
        "-c",
        f"echo '{conf}' > /tmp/bare.conf && exec nginx -c /tmp/bare.conf -g 'daemon off;'",
    ]
    image = os.environ.get("BERTH_TEST_NGINX_IMAGE", "berth-test/nginx:1")
    service = _service(client, naming.namespaced("bench-bare-proxy"), image, command)
    return running_container(client, service.name)


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def load(client: Any) -> dict[str, Any]:
    """Every app through every target, saturated and paced; medians, ratios and runs."""
    from routing import gateway

    apps = bench_apps()
    routed = {app.name: routed_app(client, app) for app in apps}
    bare = bare_proxy(client, {name: tasks for name, (_, tasks) in routed.items()})
    proxies = {"gateway": gateway.gateway_container(), "bare": bare}
    gw, bare_address = (gwbridge_address(client, proxies[name]) for name in ("gateway", "bare"))
    urls = {
        (app.name, target): f"http://{address}:80{app.path}"
        for app in apps
        for target, address in (
            ("direct", routed[app.name][0]),
            ("gateway", gw),
            ("bare", bare_address),
        )
    }
    for (name, _), url in urls.items():
        wait_ok(url, f"{name}.{HOST}")
    runs: dict[str, list[dict[str, float]]] = {}
    for _ in range(ROUNDS):
        for (name, target), url in urls.items():
            for mode in ("saturated", "paced"):
                proxy = proxies.get(target)
                before = cpu_seconds(client, proxy) if proxy else 0.0
                result = wrk(url, f"{name}.{HOST}", paced=mode == "paced")
                if proxy:
                    spent = cpu_seconds(client, proxy) - before
                    result["proxy_cpu_us_per_request"] = spent * 1e6 / max(result["requests"], 1)
                runs.setdefault(f"{name}/{target}/{mode}", []).append(result)
    median = {key: _median(values) for key, values in runs.items()}
    summary: dict[str, Any] = {}
    for app in apps:

        def m(target: str, mode: str, key: str, name: str = app.name) -> float:
            return median[f"{name}/{target}/{mode}"][key]

        summary[app.name] = {
            "about": app.about,
            "throughput_ratio": m("gateway", "saturated", "rps") / m("direct", "saturated", "rps"),
            "bare_throughput_ratio": m("bare", "saturated", "rps")
            / m("direct", "saturated", "rps"),
            "gateway_vs_bare": m("gateway", "saturated", "rps") / m("bare", "saturated", "rps"),
            "gateway_cpu_us_per_request": m("gateway", "saturated", "proxy_cpu_us_per_request"),
            "bare_cpu_us_per_request": m("bare", "saturated", "proxy_cpu_us_per_request"),
            "saturated_added_p50_ms": m("gateway", "saturated", "p50_ms")
            - m("direct", "saturated", "p50_ms"),
            "paced_added_p50_ms": m("gateway", "paced", "p50_ms") - m("direct", "paced", "p50_ms"),
            "paced_added_p99_ms": m("gateway", "paced", "p99_ms") - m("direct", "paced", "p99_ms"),
        }
    return {
        "wrk": {
            "threads": 2,
            "connections": CONNECTIONS,
            "seconds": WRK_SECONDS,
            "rounds": ROUNDS,
            "paced_delay_ms": PACED_DELAY_MS,
        },
        "summary": summary,
        "median": median,
        "runs": runs,
    }


def report_lines(figures: dict[str, Any]) -> list[str]:
    lines = ["medians, straight to the task / through the gateway / through a bare nginx proxy:"]
    for name, about in figures["summary"].items():
        lines.append(f"  {name} ({about['about']}):")
        for target in TARGETS:
            sat = figures["median"][f"{name}/{target}/saturated"]
            paced = figures["median"][f"{name}/{target}/paced"]
            lines.append(
                f"    {target:8} {sat['rps']:7.0f} req/s, p50 {sat['p50_ms']:.2f} ms; "
                f"paced ({paced['rps']:.0f} req/s) p50 {paced['p50_ms']:.2f} "
                f"p99 {paced['p99_ms']:.2f} ms"
            )
        lines.append(
            f"    gateway/direct {about['throughput_ratio']:.2f} (goal >= 0.8; a bare proxy: "
            f"{about['bare_throughput_ratio']:.2f}), gateway/bare {about['gateway_vs_bare']:.2f}; "
            f"added p50 {about['paced_added_p50_ms']:+.2f} ms paced (goal < 1), "
            f"{about['saturated_added_p50_ms']:+.2f} ms saturated"
        )
        lines.append(
            f"    proxy CPU per request: gateway {about['gateway_cpu_us_per_request']:.0f} us, "
            f"bare {about['bare_cpu_us_per_request']:.0f} us"
        )
    return lines
