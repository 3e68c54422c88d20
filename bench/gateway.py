"""Gateway benchmarks on the real engine (loopback and bridge addresses only).

1. Throughput and p50/p99 latency with ``wrk``: straight to the app task's
   address versus through the gateway (the gateway container's address, and its
   published port on 127.0.0.1, which loopback sends through docker-proxy), the
   same load in the same run, rounds interleaved.
2. Render, ``nginx -t`` and reload time with 10, 100 and 1000 routed apps, and
   how many files one changed app rewrites.

Run: ``python -m bench gateway`` (or ``make bench``). Prints medians, writes
bench/results/gateway-<time>.json. Everything it creates carries its own
namespace and is removed at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SIZES = [int(n) for n in os.environ.get("BENCH_ROUTE_COUNTS", "10,100,1000").split(",")]
HOST = "bench.example.test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))  # noqa: S104 - a probe for a free port
        return int(probe.getsockname()[1])


def setup(namespace: str, folder: Path) -> None:
    from django.conf import settings

    if not settings.configured and "BERTH_DATA_DIR" not in os.environ:
        # Keep the benchmark's rows out of the developer's database.
        os.environ["BERTH_DATA_DIR"] = str(folder / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.BERTH_NAMESPACE = namespace
    settings.BERTH_GATEWAY = "nginx"
    settings.BERTH_GATEWAY_IMAGE = os.environ.get("BERTH_TEST_NGINX_IMAGE", "berth-test/nginx:1")
    settings.BERTH_GATEWAY_USER = os.environ.get("BENCH_GATEWAY_USER", "www-data")
    settings.BERTH_GATEWAY_DIR = folder / "gateway"
    settings.BERTH_GATEWAY_HOST_DIR = None
    settings.BERTH_PORTAL_UPSTREAM = None
    settings.BERTH_GATEWAY_HTTP_PORT = free_port()
    settings.BERTH_GATEWAY_HTTPS_PORT = free_port()


def wrk(url: str, host: str) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{WRK_SECONDS}s", "--latency", "-H", f"Host: {host}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)

    def percentile(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "rps": rps,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 1.0 if socket_errors else 0.0,
    }


def probe(url: str, host: str, *, clients: int = 8, seconds: float = 3.0) -> dict[str, float]:
    """Per-request latency measured by plain clients (keep-alive where the server allows).

    wrk's own percentiles through nginx disagree with its request count (more
    slow requests than the connections had time for), so latency is measured
    here as well, with the same code against both targets.
    """
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    samples: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        mine: list[float] = []
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=10)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                conn.request("GET", parts.path, headers={"Host": host})
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
            except OSError:
                conn.close()
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples.sort()
    return {
        "requests": float(len(samples)),
        "p50_ms": samples[len(samples) // 2],
        "p99_ms": samples[int(len(samples) * 0.99)],
    }


def gwbridge_address(client: Any, container_id: str) -> str:
    containers = client.networks.get("docker_gwbridge").attrs["Containers"]
    return str(containers[container_id]["IPv4Address"].split("/")[0])


def running_container(client: Any, service: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.containers.list(
            filters={"label": f"com.docker.swarm.service.name={service}", "status": "running"}
        )
        if found:
            return str(found[0].id)
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


# The other app: nginx serving a small file, which keeps connections open (busybox
# httpd closes each one and queues at most 9 connects, which costs some requests a
# one-second SYN retry whoever sends them).
ORIGIN_CONF = (
    "worker_processes 1; pid /tmp/origin.pid; events {} "
    "http { access_log off; server { listen 80 backlog=4096; root /tmp/www; } }"
)
ORIGIN_COMMAND = [
    "sh",
    "-c",
    "mkdir -p /tmp/www && echo hello > /tmp/www/index.html && "
    f"echo '{ORIGIN_CONF}' > /tmp/origin.conf && "
    "exec nginx -c /tmp/origin.conf -g 'daemon off;'",
]


def routed_app(client: Any, name: str, image: str, command: list[str] | None) -> str:
    """A one-task app routed at ``<name>.<HOST>`` as Berth routes apps (a group of its task
    addresses, DNS behind it); its address on the gateway's bridge."""
    import docker.types

    from apps.engine import running_addresses
    from paas import naming
    from routing import gateway
    from routing.routes import Route

    labels = {naming.NAMESPACE_LABEL: naming.namespace(), naming.KIND_LABEL: "bench-app"}
    service = client.services.create(
        image,
        command,
        name=naming.app_service(name),
        networks=[naming.apps_network()],
        endpoint_spec=docker.types.EndpointSpec(mode="dnsrr"),
        labels=labels,
        container_labels=labels,
        stop_grace_period=1_000_000_000,
    )
    address = gwbridge_address(client, running_container(client, service.name))
    tasks = next(iter(running_addresses(naming.apps_network(), service.name).values()))
    result = gateway.apply_route(
        Route(
            name=name,
            hostnames=(f"{name}.{HOST}",),
            service=service.name,
            port=80,
            addresses=tasks,
        )
    )
    if not result.ok:
        raise RuntimeError(result.error)
    return address


def throughput(client: Any, namespace: str) -> dict[str, Any]:
    from django.conf import settings

    from paas import naming

    web = os.environ.get("BERTH_TEST_WEB_IMAGE", "berth-test/web:1")
    nginx = os.environ.get("BERTH_TEST_NGINX_IMAGE", "berth-test/nginx:1")
    busybox = routed_app(client, "busybox", web, None)
    origin = routed_app(client, "origin", nginx, ORIGIN_COMMAND)
    gw = gwbridge_address(client, running_container(client, naming.gateway_service()))
    loopback = f"127.0.0.1:{settings.BERTH_GATEWAY_HTTP_PORT}"
    # name -> (url, Host header)
    targets = {
        "direct": (f"http://{busybox}:80/index.html", f"busybox.{HOST}"),
        "gateway": (f"http://{gw}:80/index.html", f"busybox.{HOST}"),
        "gateway_loopback": (f"http://{loopback}/index.html", f"busybox.{HOST}"),
        "keepalive_direct": (f"http://{origin}:80/index.html", f"origin.{HOST}"),
        "keepalive_gateway": (f"http://{gw}:80/index.html", f"origin.{HOST}"),
    }
    for url, host in targets.values():
        wait_ok(url, host)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    probes: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (url, host) in targets.items():
            runs[name].append(wrk(url, host))
            probes[name].append(probe(url, host))

    def medians(table: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
        return {
            name: {key: statistics.median(r[key] for r in results) for key in results[0]}
            for name, results in table.items()
        }

    wrk_median, probe_median = medians(runs), medians(probes)
    direct, through = probe_median["direct"], probe_median["gateway"]
    return {
        "wrk_runs": runs,
        "wrk_median": wrk_median,
        "probe_runs": probes,
        "probe_median": probe_median,
        "throughput_ratio": wrk_median["gateway"]["rps"] / wrk_median["direct"]["rps"],
        "loopback_throughput_ratio": wrk_median["gateway_loopback"]["rps"]
        / wrk_median["direct"]["rps"],
        "added_p50_ms": through["p50_ms"] - direct["p50_ms"],
        "added_p99_ms": through["p99_ms"] - direct["p99_ms"],
        "keepalive_throughput_ratio": wrk_median["keepalive_gateway"]["rps"]
        / wrk_median["keepalive_direct"]["rps"],
        "keepalive_added_p50_ms": wrk_median["keepalive_gateway"]["p50_ms"]
        - wrk_median["keepalive_direct"]["p50_ms"],
    }


def routes(count: int, namespace: str, change: int | None = None) -> list[Any]:
    from routing.routes import Route

    made = []
    for i in range(count):
        hosts: tuple[str, ...] = (f"app{i}.example.test",)
        if change is not None and i == 0:
            hosts += (f"changed{change}.example.test",)
        made.append(
            Route(name=f"app{i}", hostnames=hosts, service=f"{namespace}-app-app{i}", port=80)
        )
    return made


def scale(namespace: str) -> dict[str, Any]:
    from routing import files, gateway, render

    figures: dict[str, Any] = {}
    for count in SIZES:
        wanted = routes(count, namespace)
        started = time.perf_counter()
        for route in wanted:
            render.site_conf(route, namespace=namespace)
        render_s = time.perf_counter() - started

        started = time.perf_counter()
        results = gateway.sync_routes(wanted)
        full_s = time.perf_counter() - started
        if not all(r.ok for r in results.values()):
            raise RuntimeError(f"sync of {count} routes refused: {results}")

        one_change: list[float] = []
        rewritten: list[int] = []
        for attempt in range(3):
            layout = files.layout()
            before = {n: p.stat().st_ino for n, p in files.live_sites(layout).items()}
            started = time.perf_counter()
            gateway.sync_routes(routes(count, namespace, change=attempt))
            one_change.append(time.perf_counter() - started)
            after = {n: p.stat().st_ino for n, p in files.live_sites(layout).items()}
            rewritten.append(sum(1 for n in after if before.get(n) != after[n]))
        figures[str(count)] = {
            "render_only_s": render_s,
            "full_sync_s": full_s,
            "one_change_s_median": statistics.median(one_change),
            "one_change_s_runs": one_change,
            "files_rewritten_by_one_change": max(rewritten),
        }
        gateway.sync_routes([])
    return figures


def cleanup(client: Any, namespace: str) -> None:
    label = f"berth.namespace={namespace}"
    for service in client.services.list(filters={"label": label}):
        service.remove()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        left = client.networks.list(filters={"label": label})
        for network in left:
            # Still held by a stopping task: tried again below.
            with contextlib.suppress(Exception):
                network.remove()
        if not client.networks.list(filters={"label": label}):
            return
        time.sleep(0.5)


def main() -> None:
    import docker

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    subprocess.run([str(ROOT / "scripts" / "images.sh")], check=True)
    client = docker.from_env(timeout=120)
    namespace = f"bench{secrets.token_hex(2)}"
    folder = Path(tempfile.mkdtemp(prefix="berth-bench-"))
    try:
        setup(namespace, folder)
        from routing.bootstrap import bootstrap

        bootstrap()
        report: dict[str, Any] = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "cpus": os.cpu_count(),
            "wrk": {"threads": 2, "connections": 16, "seconds": WRK_SECONDS, "rounds": ROUNDS},
            "throughput": throughput(client, namespace),
            "routes": scale(namespace),
        }
    finally:
        cleanup(client, namespace)
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"gateway-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    t = report["throughput"]
    print(
        "through the gateway vs straight to the task (medians; busybox httpd, and keepalive_*: "
        "an nginx app that keeps connections open):"
    )
    for name, figures in t["wrk_median"].items():
        latency = t["probe_median"][name]
        print(
            f"  {name:17} wrk {figures['rps']:7.0f} req/s (wrk p50 {figures['p50_ms']:.2f} "
            f"p99 {figures['p99_ms']:.2f} ms, non-2xx {figures['non_2xx']:.0f})  "
            f"probe p50 {latency['p50_ms']:.2f} ms p99 {latency['p99_ms']:.2f} ms"
        )
    print(
        f"  busybox: gateway/direct throughput {t['throughput_ratio']:.2f} (goal >= 0.8), "
        f"added p50 {t['added_p50_ms']:.2f} ms (probe; goal < 1), "
        f"added p99 {t['added_p99_ms']:.2f} ms"
    )
    print(
        f"  nginx app: gateway/direct throughput {t['keepalive_throughput_ratio']:.2f}, "
        f"added p50 {t['keepalive_added_p50_ms']:.2f} ms (wrk)"
    )
    print("render + nginx -t + reload:")
    for count, figures in report["routes"].items():
        print(
            f"  {count:>5} apps: render {figures['render_only_s'] * 1000:7.1f} ms, "
            f"full sync {figures['full_sync_s']:.2f} s, one change "
            f"{figures['one_change_s_median']:.2f} s rewriting "
            f"{figures['files_rewritten_by_one_change']} file(s)"
        )
    print(f"written {path}")


if __name__ == "__main__":
    main()
