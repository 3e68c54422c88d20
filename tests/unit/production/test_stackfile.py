"""compose/stack.yml read into swarm specs: names, labels, the socket, order, updates."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from paas.production import config, stackfile
from paas.production.stackfile import StackFileError

VARIABLES = {
    **config.INSTALL_DEFAULTS,
    "BERTH_NAMESPACE": "prod",
    "BERTH_IMAGE": "berth/portal:1",
    "BERTH_ENGINE_PROXY_IMAGE": "nginx:1",
    "BERTH_HOST_DATA_DIR": "/srv/berth",
    "BERTH_DOCKER_GID": "998",
    "BERTH_NODE_ID": "node1",
}
REFS = {"engine-proxy": ("config-id", "prod-engine-proxy-abc")}


def load(**changes: str) -> stackfile.Stack:
    return stackfile.load(config.STACK_FILE, {**VARIABLES, **changes}, namespace="prod")


def spec(key: str, settings_env: dict[str, str] | None = None, **changes: str) -> dict[str, Any]:
    return load(**changes).service(key).spec(settings_env=settings_env or {}, config_refs=REFS)


def env(spec: dict[str, Any]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in spec["env"])


def sources(spec: dict[str, Any]) -> list[str]:
    return [mount["Source"] for mount in spec["mounts"]]


def test_every_service_is_named_and_labelled_in_the_namespace():
    stack = load()
    assert {s.name for s in stack.services} == {
        f"prod-{key}" for key in ("redis", "engine", "migrate", "web", "worker")
    }
    for service in stack.services:
        made = service.spec(settings_env={}, config_refs=REFS)
        assert made["labels"]["berth.namespace"] == "prod"
        assert made["container_labels"] == made["labels"]
        assert made["constraints"] == ["node.id == node1"]
        assert made["endpoint_spec"] == {"Mode": "dnsrr"}


def test_only_the_worker_the_migrate_job_and_the_engine_proxy_hold_the_docker_socket():
    holders = {
        service.key
        for service in load().services
        if "/var/run/docker.sock" in sources(service.spec(settings_env={}, config_refs=REFS))
    }
    assert holders == {"worker", "migrate", "engine"}


def test_the_web_reaches_the_engine_through_the_proxy_as_an_unprivileged_user():
    web = spec("web")
    assert env(web)["DOCKER_HOST"] == "tcp://prod-engine:2375"
    assert web["user"] == "10001:10001"
    assert spec("worker")["user"] == "10001:998"
    assert spec("engine")["user"] == "65534:998"
    assert {n["Target"] for n in web["networks"]} == {"prod-internal", "prod-apps"}
    assert {n["Target"] for n in spec("redis")["networks"]} == {"prod-internal"}


def test_migrations_run_once_in_a_job_before_the_portal_rolls():
    order = [s.key for s in load().services]
    assert order.index("migrate") < min(order.index(k) for k in ("web", "worker"))
    migrate = load().service("migrate")
    assert migrate.job
    assert spec("migrate")["mode"] == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
    assert spec("migrate")["restart_policy"]["Condition"] == "none"


def test_the_web_serves_during_an_update_and_the_worker_runs_beat():
    assert spec("web")["update_config"]["Order"] == "start-first"
    worker = spec("worker")
    # Start-first: old and new worker overlap; beat's Redis lock keeps one scheduler.
    assert worker["update_config"]["Order"] == "start-first"
    assert "--beat" in worker["args"]
    # The health check fails when either the consumer's or the scheduler's file is stale.
    assert "/tmp/berth-beat.alive" in worker["healthcheck"]["Test"][-1]
    assert "/tmp/berth-worker.alive" in worker["healthcheck"]["Test"][-1]


def test_health_checks_and_resource_reservations():
    web = spec("web")
    assert web["healthcheck"]["Interval"] == 10 * 10**9
    assert "/healthz" in web["healthcheck"]["Test"][-1]
    assert web["resources"]["Reservations"]["MemoryBytes"] == 96 * 1024**2
    assert spec("worker")["resources"]["Limits"]["MemoryBytes"] == 1024**3
    assert spec("worker")["stop_grace_period"] == 120 * 10**9


def test_operator_settings_reach_the_portal_services_but_the_stack_values_win():
    settings_env = {"BERTH_ROOT_DOMAIN": "example.com", "REDIS_URL": "redis://elsewhere:1/0"}
    worker = env(spec("worker", settings_env))
    assert worker["BERTH_ROOT_DOMAIN"] == "example.com"
    assert worker["REDIS_URL"] == "redis://prod-redis:6379/0"
    assert worker["BERTH_GATEWAY_HOST_DIR"] == "/srv/berth/gateway"
    assert "BERTH_ROOT_DOMAIN" not in env(spec("redis", settings_env))


def test_a_new_image_changes_the_portal_specs_and_leaves_redis_alone():
    for key in ("web", "worker"):
        assert (
            spec(key)["labels"]["berth.spec"]
            != spec(key, BERTH_IMAGE="berth/portal:2")["labels"]["berth.spec"]
        )
    assert (
        spec("redis")["labels"]["berth.spec"]
        == spec("redis", BERTH_IMAGE="berth/portal:2")["labels"]["berth.spec"]
    )


def test_the_engine_proxy_config_is_a_swarm_config_named_by_its_content():
    stack = load()
    proxy = stack.configs["engine-proxy"]
    assert proxy.name.startswith("prod-engine-proxy-")
    assert b"listen 2375;" in proxy.data
    assert spec("engine")["configs"][0]["File"]["Name"] == "/etc/berth-engine-proxy.conf"


def test_a_variable_without_a_value_is_refused_rather_than_left_empty():
    variables = {k: v for k, v in VARIABLES.items() if k != "BERTH_NODE_ID"}
    with pytest.raises(StackFileError, match=r"\$\{BERTH_NODE_ID\} has no value"):
        stackfile.load(config.STACK_FILE, variables, namespace="prod")


def test_interpolation_knows_defaults_and_escaped_dollars():
    assert stackfile.interpolate("${A:-x}-${B}-$$HOME", {"B": "b"}) == "x-b-$HOME"


def build(document: dict[str, Any], tmp_path: Path) -> stackfile.Stack:
    return stackfile.build(document, {}, namespace="t", base_dir=tmp_path)


def test_it_refuses_keys_it_does_not_read(tmp_path):
    with pytest.raises(StackFileError, match=r"services.web: unknown keys ports"):
        build({"services": {"web": {"image": "x", "ports": ["80:80"]}}}, tmp_path)
    with pytest.raises(StackFileError, match=r"deploy: unknown keys labels"):
        build({"services": {"web": {"image": "x", "deploy": {"labels": {}}}}}, tmp_path)


def test_it_refuses_a_dependency_cycle_and_an_unknown_dependency(tmp_path):
    cycle = {"a": {"image": "x", "depends_on": ["b"]}, "b": {"image": "x", "depends_on": ["a"]}}
    with pytest.raises(StackFileError, match="cycle"):
        build({"services": cycle}, tmp_path)
    with pytest.raises(StackFileError, match="unknown 'c'"):
        build({"services": {"a": {"image": "x", "depends_on": ["c"]}}}, tmp_path)


def test_a_relative_bind_mount_is_refused(tmp_path):
    mount = {"type": "bind", "source": "data", "target": "/data"}
    with pytest.raises(StackFileError, match="absolute path"):
        build({"services": {"a": {"image": "x", "volumes": [mount]}}}, tmp_path)


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [("10s", 10 * 10**9), ("1m30s", 90 * 10**9), ("500ms", 5 * 10**8), ("2m", 120 * 10**9)],
)
def test_durations(text, nanoseconds):
    assert stackfile.duration_ns(text, "x") == nanoseconds


@pytest.mark.parametrize(
    ("text", "size"), [("512M", 512 * 1024**2), ("1G", 1024**3), ("64k", 65536)]
)
def test_sizes(text, size):
    assert stackfile.size_bytes(text, "x") == size


def test_a_bad_duration_names_its_place():
    with pytest.raises(StackFileError, match=r"services\.web\.healthcheck\.interval"):
        stackfile.duration_ns("ten seconds", "services.web.healthcheck.interval")


def test_the_stack_file_is_a_compose_file_the_docker_cli_reads(tmp_path):
    """The same file an operator can read with Docker's own tools (when the CLI has them)."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI")
    variables = {k: v for k, v in VARIABLES.items() if k.startswith("BERTH_")}
    result = subprocess.run(
        [docker, "stack", "config", "-c", str(config.STACK_FILE)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **variables},
        check=False,
    )
    if "unknown command" in result.stderr or "is not a docker command" in result.stderr:
        pytest.skip("this docker CLI has no `stack config`")
    assert result.returncode == 0, result.stderr
    assert "prod-redis-data" in result.stdout
