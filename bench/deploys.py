"""Deploy benchmarks on the real swarm, gateway, Redis and worker (one node).

1. From the API call to the new version answering through the gateway, the
   image already local: 10 deploys of an app with one instance, without and
   with an HTTP health check. Also the time until the deployment says healthy.
2. 20 apps deployed at once: all healthy, and the total time, with the worker
   running 4 deploys at a time (the Procfile's concurrency) and 20.

Run: ``python -m bench deploys`` (``BENCH_RUNS`` changes the 10). Prints medians
and p90, writes bench/results/deploys-<time>.json.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import time
from typing import Any

from bench._apps_setup import RESULTS, api_server, stage, summary, team_token

RUNS = int(os.environ.get("BENCH_RUNS", "10"))
PARALLEL = int(os.environ.get("BENCH_PARALLEL_APPS", "20"))
WEB = os.environ.get("BERTH_TEST_WEB_IMAGE", "berth-test/web:1")


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(
                method,
                f"/api/v1/{path}",
                json.dumps(body) if body is not None else None,
                self.headers,
            )
            response = conn.getresponse()
            data = json.loads(response.read() or b"null")
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {response.status} {data}")
            return data
        finally:
            conn.close()


def gateway_get(port: int, host: str, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host, "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError:
        return 0, ""
    finally:
        conn.close()


def build_versions(namespace: str, count: int) -> list[str]:
    """``count`` local images that differ only in ``VERSION`` (built before any timing)."""
    import docker

    client = docker.from_env(timeout=120)
    tags = []
    for number in range(count + 1):
        tag = f"{namespace}-bench-web:v{number}"
        dockerfile = f"FROM {WEB}\nENV VERSION={number}\nLABEL berth.namespace={namespace}\n"
        client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, forcerm=True)
        tags.append(tag)
    return tags


def wait_deployment(api: Api, app: str, number: int, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        deployment = api.call("GET", f"apps/{app}/deployments/{number}/")
        if deployment["status"] in ("healthy", "failed", "rolled_back", "cancelled"):
            return dict(deployment)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{app} #{number} still {deployment['status']}")
        time.sleep(0.05)


def new_version_latency(
    api: Api, gateway_port: int, tags: list[str], *, health: bool
) -> dict[str, Any]:
    name = "latency-health" if health else "latency"
    body: dict[str, Any] = {"name": name}
    if health:
        body["health_check_path"] = "/cgi-bin/health"
    api.call("POST", "apps/", body)
    first = api.call("POST", f"apps/{name}/deployments/", {"image": tags[0]})
    assert wait_deployment(api, name, first["number"])["status"] == "healthy"
    host = f"{name}.localhost"
    answering: list[float] = []
    healthy: list[float] = []
    for version in range(1, len(tags)):
        started = time.perf_counter()
        created = api.call("POST", f"apps/{name}/deployments/", {"image": tags[version]})
        answered: float | None = None
        done: float | None = None
        while answered is None or done is None:
            if answered is None:
                status, body_text = gateway_get(gateway_port, host, "/cgi-bin/info")
                if status == 200 and f"version={version}\n" in body_text:
                    answered = time.perf_counter() - started
            if done is None:
                result = api.call("GET", f"apps/{name}/deployments/{created['number']}/")
                if result["status"] in ("healthy", "failed", "rolled_back", "cancelled"):
                    done = time.perf_counter() - started
                    if result["status"] != "healthy":
                        raise RuntimeError(f"{name} #{created['number']}: {result['reason']}")
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"version {version} of {name}: no answer or no end in 120 s")
            time.sleep(0.02)
        answering.append(answered)
        healthy.append(done)
    return {
        "answering_s": summary(answering),
        "healthy_s": summary(healthy),
        "raw_answering_s": answering,
    }


def parallel_deploys(api: Api, gateway_port: int, image: str, prefix: str) -> dict[str, Any]:
    names = [f"{prefix}-{i:02d}" for i in range(PARALLEL)]
    for name in names:
        api.call("POST", "apps/", {"name": name})
    started = time.perf_counter()
    created = {
        name: api.call("POST", f"apps/{name}/deployments/", {"image": image}) for name in names
    }
    finished = {
        name: wait_deployment(api, name, d["number"], timeout=600) for name, d in created.items()
    }
    total = time.perf_counter() - started
    answering = sum(
        1
        for name in names
        if gateway_get(gateway_port, f"{name}.localhost", "/cgi-bin/info")[0] == 200
    )
    states = [d["status"] for d in finished.values()]
    return {
        "apps": PARALLEL,
        "healthy": states.count("healthy"),
        "answering_through_gateway": answering,
        "total_s": total,
        "statuses": {s: states.count(s) for s in set(states)},
    }


def main() -> None:
    valid = os.environ.get("BENCH_RESOLVER_VALID")
    if valid:
        # An experiment: the gateway's DNS cache decides when nginx sees a new task.
        import routing.render

        routing.render.RESOLVER = re.sub(r"valid=\w+", f"valid={valid}", routing.render.RESOLVER)
    from routing.render import RESOLVER

    report: dict[str, Any] = {
        "gateway_resolver": RESOLVER.split(";")[0],
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
    }
    with stage(worker_threads=4) as staged:
        tags = build_versions(staged.namespace, RUNS)
        with api_server() as base:
            api = Api(base, team_token())
            report["new_version_no_health_check"] = new_version_latency(
                api, staged.gateway_port, tags, health=False
            )
            report["new_version_http_health_check"] = new_version_latency(
                api, staged.gateway_port, tags, health=True
            )
            report["parallel_worker_4"] = parallel_deploys(api, staged.gateway_port, tags[0], "p4")
    with stage(worker_threads=PARALLEL) as staged, api_server() as base:
        api = Api(base, team_token())
        report["parallel_worker_20"] = parallel_deploys(api, staged.gateway_port, WEB, "p20")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"deploys-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    for key in ("new_version_no_health_check", "new_version_http_health_check"):
        answer, healthy = report[key]["answering_s"], report[key]["healthy_s"]
        print(
            f"{key}: API call -> new version answering through the gateway: median "
            f"{answer['median']:.2f} s, p90 {answer['p90']:.2f} s ({RUNS} runs; goal: median < 1.5 s); "
            f"-> deployment healthy: median {healthy['median']:.2f} s, p90 {healthy['p90']:.2f} s"
        )
    for key in ("parallel_worker_4", "parallel_worker_20"):
        run = report[key]
        print(
            f"{key}: {run['apps']} apps at once: {run['healthy']} healthy, "
            f"{run['answering_through_gateway']} answering, total {run['total_s']:.1f} s"
        )
    print(f"gateway: {report['gateway_resolver']}; wrote {path}")
