"""Footprint of Berth's own stack: memory of web, worker, beat and Redis at idle and
after 100 deployments, and CPU use at idle. Beat runs inside the worker (a thread)
since it stopped being a service of its own: the worker's figures include it.

Installs compose/stack.yml (the portal image of this checkout on BENCH_BASE_IMAGE,
by default the Debian-made berth-test/python:bookworm) in a throwaway namespace on
free ports, lets it settle, and measures each of its containers:

- memory as ``docker stats`` shows it: the cgroup's usage without its inactive page
  cache (pages a forked process shares with its parent count once); of it, the
  processes' anonymous memory and the active page cache (libraries, the database,
  Redis's append-only file); the rest is the kernel's (page tables, the dentries of
  every file the interpreter looked up). Each process's RSS and PSS beside it;
- CPU over BENCH_IDLE_SECONDS (default 60) from the cgroup's CPU time, in percent
  of one core (health checks included: they run in the containers).

The page cache is dropped before the install (as root), so each container is
charged for the files it reads, as on a fresh host. Then 10 deployments through the
gateway and the API (a first use of every code path: lazy imports, caches), measured
idle again, then BENCH_ROUNDS (default 2) rounds of BENCH_DEPLOYS (default 100) more
over 10 apps, each deployed with a new image version in turn, measured idle after
each round: what a round adds is growth, what the first 10 added is warm-up. The
goal is under 160 MB for web + worker + beat + Redis at idle, no growth after the
deployments, idle CPU near zero.

Run: ``python -m bench footprint``. Prints a table, writes
bench/results/footprint-<time>.json, removes everything it made. BENCH_SETTINGS
(``NAME=value`` pairs, space-separated) adds install settings, to measure another
choice: ``BENCH_SETTINGS="BERTH_WEB_THREADS=4 BERTH_LOG_FOLLOW_LIMIT=3"``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, cast

from bench._apps_setup import RESULTS, ROOT, cleanup, free_port

BASE = os.environ.get("BENCH_BASE_IMAGE", "berth-test/python:bookworm")
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "60"))
SETTLE_SECONDS = float(os.environ.get("BENCH_SETTLE_SECONDS", "30"))
DEPLOYS = int(os.environ.get("BENCH_DEPLOYS", "100"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CHOSEN = dict(pair.split("=", 1) for pair in os.environ.get("BENCH_SETTINGS", "").split())
APPS = 10
GOAL_MB = 160
# beat: measured when a stack still runs it as a service (before it moved into the worker).
MEASURED = ("web", "worker", "beat", "redis")
SHOWN = (*MEASURED, "engine", "gateway")
ROOT_DOMAIN = "bench.test"


def _django(folder: Path) -> None:
    os.environ["BERTH_DATA_DIR"] = str(folder / "host")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")
    import django

    django.setup()


def _proc(pid: int) -> tuple[int, int]:
    """RSS and PSS of a host process, in bytes."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss


def _memory(stats: dict[str, Any]) -> dict[str, int]:
    """The container's memory as ``docker stats`` shows it, and its two parts: the
    processes' own (anonymous) memory and the active page cache charged to the
    container (files it mapped or read more than once: libraries, the database)."""
    memory = stats.get("memory_stats") or {}
    details = memory.get("stats") or {}

    def stat(name: str) -> int:
        return int(details.get(f"total_{name}", details.get(name, 0)))

    return {
        "memory": int(memory.get("usage", 0)) - stat("inactive_file"),
        "anon": stat("rss") or stat("anon"),
        "file": stat("active_file"),
    }


def snapshot(client: Any, namespace: str) -> dict[str, dict[str, Any]]:
    """Per service of the stack: memory, process RSS/PSS and CPU time so far."""
    found: dict[str, dict[str, Any]] = {}
    for key in SHOWN:
        containers = client.containers.list(
            filters={"label": f"com.docker.swarm.service.name={namespace}-{key}"}
        )
        if not containers:
            continue
        container = containers[0]
        stats = container.stats(stream=False, one_shot=True)
        pids = [int(row[1]) for row in container.top(ps_args="-eo user,pid")["Processes"]]
        sizes = [_proc(pid) for pid in pids]
        found[key] = {
            **_memory(stats),
            "rss": sum(rss for rss, _ in sizes),
            "pss": sum(pss for _, pss in sizes),
            "processes": len(pids),
            "cpu_ns": int(stats["cpu_stats"]["cpu_usage"]["total_usage"]),
            "at": time.monotonic(),
        }
    return found


def idle(client: Any, namespace: str) -> dict[str, dict[str, Any]]:
    """Memory at the end of an idle window, and CPU over it."""
    start = snapshot(client, namespace)
    time.sleep(IDLE_SECONDS)
    end = snapshot(client, namespace)
    for key, row in end.items():
        before = start.get(key)
        if before:
            wall = row["at"] - before["at"]
            row["cpu_percent"] = round(100 * (row["cpu_ns"] - before["cpu_ns"]) / (wall * 1e9), 3)
    return end


def mib(value: int) -> float:
    return round(value / 1024**2, 1)


def totals(rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    return {
        name: mib(sum(rows[key][name] for key in MEASURED if key in rows))
        for name in ("memory", "anon", "file", "rss", "pss")
    } | {"cpu_percent": round(sum(rows[k].get("cpu_percent", 0) for k in MEASURED if k in rows), 3)}


def table(title: str, rows: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(
        f"  {'service':8} {'memory MiB':>10} {'anon':>6} {'file':>6} {'RSS MiB':>8} "
        f"{'PSS MiB':>8} {'procs':>5} {'CPU %':>6}"
    )
    for key in SHOWN:
        if key in rows:
            row = rows[key]
            print(
                f"  {key:8} {mib(row['memory']):10} {mib(row['anon']):6} {mib(row['file']):6} "
                f"{mib(row['rss']):8} {mib(row['pss']):8} {row['processes']:5} "
                f"{row.get('cpu_percent', 0):6}"
            )
    if "beat" not in rows:
        print(f"  {'beat':8} inside the worker (a thread): counted in its row")
    total = totals(rows)
    print(
        f"  {'web+worker+beat+redis':22} memory {total['memory']} MiB (anon {total['anon']}, "
        f"file {total['file']}), RSS {total['rss']} MiB, "
        f"PSS {total['pss']} MiB, CPU {total['cpu_percent']} % (goal: under {GOAL_MB} MB)"
    )


class Api:
    def __init__(self, port: int, host: str, token: str) -> None:
        self.port, self.host, self.token = port, host, token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Host": self.host,
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")


def deploy_many(api: Api, tags: list[str], count: int) -> dict[str, Any]:
    """``count`` deployments over APPS apps, each app's in turn; the outcomes."""
    names = [f"fp{i:02d}" for i in range(APPS)]
    existing = {app["name"] for app in api.call("GET", "apps/?limit=1000")["results"]}
    for name in names:
        if name not in existing:
            api.call("POST", "apps/", {"name": name, "container_port": 80})
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def run(name: str, rounds: int) -> None:
        for number in range(rounds):
            created = api.call(
                "POST", f"apps/{name}/deployments/", {"image": tags[number % len(tags)]}
            )
            while True:
                state = api.call("GET", f"apps/{name}/deployments/{created['number']}/")
                if state["status"] in ("healthy", "failed", "rolled_back", "cancelled"):
                    break
                time.sleep(0.5)
            with lock:
                outcomes[state["status"]] = outcomes.get(state["status"], 0) + 1

    started = time.monotonic()
    threads = [
        threading.Thread(target=run, args=(name, count // APPS + (i < count % APPS)))
        for i, name in enumerate(names)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"outcomes": outcomes, "seconds": round(time.monotonic() - started, 1)}


def _drop_page_cache() -> bool:
    """Start the stack with nothing of its images' files in the page cache (as root).

    A page of a file is charged to the container that first reads it: the Redis
    binary and the portal's libraries cached by an earlier run's containers (or
    tests) would count for none of these, and the figures would depend on what ran
    before. On a fresh install each service pays for what it loads.
    """
    subprocess.run(["sync"], check=False)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        print("page cache not dropped (not root): file pages read before may count for none")
        return False
    return True


def main() -> None:
    import docker

    subprocess.run([str(ROOT / "scripts" / "images.sh")], check=True)
    folder = Path(tempfile.mkdtemp(prefix="berth-bench-footprint-"))
    _django(folder)
    from bench.deploys import build_versions
    from paas.production import deploy, image
    from tests.support.swarm import remove_namespace

    client = docker.from_env(timeout=120)
    namespace = f"bench{secrets.token_hex(2)}"
    port = free_port()
    host = f"berth.{ROOT_DOMAIN}"
    try:
        tag = image.build(base=BASE, log=print, repository="berth-test/portal")
        cold = _drop_page_cache()
        deploy.install(
            data_dir=folder / "data",
            explicit={
                "BERTH_NAMESPACE": namespace,
                "BERTH_IMAGE": tag,
                "BERTH_REDIS_IMAGE": os.environ.get("BERTH_TEST_REDIS_IMAGE", "berth-test/redis:1"),
                "BERTH_ROOT_DOMAIN": ROOT_DOMAIN,
                "BERTH_GATEWAY_IMAGE": os.environ.get(
                    "BERTH_TEST_NGINX_IMAGE", "berth-test/nginx:1"
                ),
                "BERTH_GATEWAY_USER": "www-data",
                "BERTH_GATEWAY_HTTP_PORT": str(port),
                "BERTH_GATEWAY_HTTPS_PORT": str(free_port()),
                "BERTH_PULL_IMAGES": "false",
                "BERTH_HEALTH_INTERVAL_SECONDS": "1",
                "BERTH_DEPLOY_MONITOR_SECONDS": "1",
                "BERTH_STOP_GRACE_SECONDS": "1",
                **CHOSEN,
            },
            log=lambda line: None,
        )
        web = client.containers.list(
            filters={"label": f"com.docker.swarm.service.name={namespace}-web"}
        )[0]
        made = web.exec_run(
            [
                "python",
                "manage.py",
                "maketoken",
                "--team",
                "bench",
                "--scopes",
                "read,deploy,admin",
                "--create-team",
            ],
            stderr=False,
        )
        token = cast(bytes, made.output).decode().strip()
        api = Api(port, host, token)
        # A first use of the portal (what an operator's first visit loads), then quiet.
        api.call("GET", "apps/")
        time.sleep(SETTLE_SECONDS)
        before = idle(client, namespace)
        table(f"idle, {IDLE_SECONDS:.0f} s after settling", before)
        tags = build_versions(namespace, 4)
        warm = deploy_many(api, tags, APPS)
        print(f"\n{APPS} deployments (warm-up) in {warm['seconds']} s: {warm['outcomes']}")
        time.sleep(SETTLE_SECONDS)
        warmed = idle(client, namespace)
        table(f"idle after {APPS} deployments", warmed)
        rounds: list[dict[str, Any]] = []
        previous, done = warmed, APPS
        for _ in range(ROUNDS):
            run = deploy_many(api, tags, DEPLOYS)
            done += DEPLOYS
            print(f"\n{DEPLOYS} more deployments in {run['seconds']} s: {run['outcomes']}")
            time.sleep(SETTLE_SECONDS)
            after = idle(client, namespace)
            table(f"idle after {done} deployments", after)
            growth = {
                key: mib(after[key]["memory"] - previous[key]["memory"])
                for key in MEASURED
                if key in after
            }
            print(f"\ngrowth over these {DEPLOYS} deployments (MiB): {growth}")
            rounds.append(
                {
                    "deployments": run,
                    "growth_mib": growth,
                    "after": after,
                    "after_totals_mib": totals(after),
                }
            )
            previous = after
        result = {
            "namespace": namespace,
            "image": tag,
            "settings": CHOSEN,
            "cold_page_cache": cold,
            "base": BASE,
            "idle_seconds": IDLE_SECONDS,
            "goal_mb": GOAL_MB,
            "idle": before,
            "idle_totals_mib": totals(before),
            "warm_up": warm,
            "warmed": warmed,
            "warmed_totals_mib": totals(warmed),
            "rounds": rounds,
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"footprint-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(result, indent=2))
        print(f"\nwrote {path}")
    finally:
        remove_namespace(client, namespace, timeout=120)
        cleanup(client, namespace)


if __name__ == "__main__":
    main()
