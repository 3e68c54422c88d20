"""Gateway benchmarks on the real engine (loopback and bridge addresses only).

1. Throughput and p50/p99 latency with ``wrk`` on three apps: straight to the app
   task's address, through the gateway, and through a bare nginx proxy as the
   baseline, saturated and at a paced load, the same loads in the same run, rounds
   interleaved (:mod:`bench._gateway_load`).
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

from bench import _gateway_load

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SIZES = [int(n) for n in os.environ.get("BENCH_ROUTE_COUNTS", "10,100,1000").split(",")]


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
            "load": _gateway_load.load(client),
            "routes": scale(namespace),
        }
    finally:
        cleanup(client, namespace)
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"gateway-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print("\n".join(_gateway_load.report_lines(report["load"])))
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
