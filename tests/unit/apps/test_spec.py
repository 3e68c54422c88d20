"""The pure desired-state -> ServiceSpec function, and its health check run for real."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from dataclasses import replace

import pytest

from apps.spec import (
    DEPLOYMENT_LABEL,
    SECOND,
    TEMPLATE_LABEL,
    Desired,
    SecretRef,
    health_command,
    service_spec,
    template_label,
)
from tests.support.services import unavailable

BASE = Desired(
    app="shop",
    service_name="berth-app-shop",
    image="registry.example.com/shop:7",
    network="net-id-1",
    labels={"berth.namespace": "berth", "berth.kind": "app", "berth.app": "shop"},
    deployment=7,
)


def test_the_spec_is_a_dnsrr_service_on_the_apps_network_with_berths_labels():
    spec = service_spec(BASE)

    assert spec["Name"] == "berth-app-shop"
    assert spec["EndpointSpec"] == {"Mode": "dnsrr"}
    assert spec["TaskTemplate"]["Networks"] == [{"Target": "net-id-1", "Aliases": ["shop"]}]
    assert spec["Labels"]["berth.namespace"] == "berth"
    assert spec["Labels"][DEPLOYMENT_LABEL] == "7"
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["Image"] == "registry.example.com/shop:7"
    assert container["Labels"]["berth.app"] == "shop"
    assert spec["Mode"] == {"Replicated": {"Replicas": 1}}


def test_updates_start_first_roll_back_on_failure_and_are_watched():
    spec = service_spec(replace(BASE, monitor_seconds=4))

    update = spec["UpdateConfig"]
    assert update["Order"] == "start-first"
    assert update["FailureAction"] == "rollback"
    assert update["Monitor"] == 4 * SECOND
    assert spec["RollbackConfig"]["FailureAction"] == "pause"
    assert spec["TaskTemplate"]["RestartPolicy"]["Condition"] == "any"


def test_an_app_that_must_stop_first_updates_stop_first():
    spec = service_spec(replace(BASE, stop_first=True))

    assert spec["UpdateConfig"]["Order"] == "stop-first"
    assert spec["RollbackConfig"]["Order"] == "stop-first"


def test_zero_instances_means_stopped():
    assert service_spec(replace(BASE, instances=0))["Mode"]["Replicated"]["Replicas"] == 0


def test_env_is_sorted_with_port_set_unless_the_user_sets_it():
    plain = service_spec(replace(BASE, env={"B": "2", "A": "1"}, container_port=8080))
    own = service_spec(replace(BASE, env={"PORT": "9000"}))

    assert plain["TaskTemplate"]["ContainerSpec"]["Env"] == ["A=1", "B=2", "PORT=8080"]
    assert own["TaskTemplate"]["ContainerSpec"]["Env"] == ["PORT=9000"]


def test_limits_and_reservations_in_engine_units():
    spec = service_spec(
        replace(
            BASE, cpu_limit=1.5, cpu_reservation=0.25, memory_limit_mb=256, memory_reservation_mb=64
        )
    )

    assert spec["TaskTemplate"]["Resources"] == {
        "Limits": {"NanoCPUs": 1_500_000_000, "MemoryBytes": 256 * 1024 * 1024},
        "Reservations": {"NanoCPUs": 250_000_000, "MemoryBytes": 64 * 1024 * 1024},
    }
    assert service_spec(BASE)["TaskTemplate"]["Resources"] == {"Limits": {}, "Reservations": {}}


def test_secrets_are_files_under_run_secrets_by_their_name():
    ref = SecretRef(
        file="db_password", engine_name="berth-app-shop-db_password-3v2", engine_id="s1"
    )

    spec = service_spec(replace(BASE, secrets=(ref,)))

    assert spec["TaskTemplate"]["ContainerSpec"]["Secrets"] == [
        {
            "File": {"Name": "db_password", "UID": "0", "GID": "0", "Mode": 0o444},
            "SecretID": "s1",
            "SecretName": "berth-app-shop-db_password-3v2",
        }
    ]


def test_placement_by_node_label():
    spec = service_spec(replace(BASE, placement={"zone": "eu-1", "disk": "ssd"}))

    assert spec["TaskTemplate"]["Placement"]["Constraints"] == [
        "node.labels.disk==ssd",
        "node.labels.zone==eu-1",
    ]


def test_no_health_path_leaves_the_images_own_check():
    assert "Healthcheck" not in service_spec(BASE)["TaskTemplate"]["ContainerSpec"]


def test_a_health_path_becomes_a_shell_check_on_the_container_port():
    spec = service_spec(
        replace(BASE, health_check_path="/healthz", container_port=8080, health_interval=2)
    )

    check = spec["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
    assert check["Test"][0] == "CMD-SHELL"
    assert "127.0.0.1:8080/healthz" in check["Test"][1]
    assert check["Interval"] == 2 * SECOND
    assert check["Retries"] == 3
    # Probed every quarter second while it starts, for up to BERTH_HEALTH_START_SECONDS.
    assert check["StartPeriod"] == 15 * SECOND
    assert check["StartInterval"] == SECOND // 4


def test_a_scale_keeps_the_task_template_but_an_image_change_does_not():
    one = service_spec(BASE)
    three = service_spec(replace(BASE, instances=3, deployment=8))
    other = service_spec(replace(BASE, image="registry.example.com/shop:8"))

    assert template_label(one) == template_label(three)
    assert template_label(one) != template_label(other)
    assert one["TaskTemplate"]["ContainerSpec"]["Labels"][TEMPLATE_LABEL] == template_label(one)


# --- the health command, run by busybox's sh and nc against a real HTTP server -----------


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        code = {"/ok": 200, "/moved": 302, "/a%20b": 200}.get(self.path, 500)
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"body")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_port():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def busybox_path(tmp_path_factory):
    """A PATH with only busybox applets: no curl, as in a tiny image."""
    busybox = shutil.which("busybox")
    if busybox is None:
        unavailable("busybox is not installed (apt-get install busybox-static)")
    folder = tmp_path_factory.mktemp("bin")
    for applet in ("sh", "nc", "head", "grep", "printf"):
        os.symlink(busybox, folder / applet)
    return str(folder)


@pytest.mark.parametrize(
    ("path", "healthy"), [("/ok", True), ("/moved", True), ("/a%20b", True), ("/broken", False)]
)
def test_the_health_command_passes_only_on_2xx_or_3xx(http_port, busybox_path, path, healthy):
    result = subprocess.run(
        [f"{busybox_path}/sh", "-c", health_command(path, http_port)],
        env={"PATH": busybox_path},
        capture_output=True,
        timeout=10,
        check=False,
    )

    assert (result.returncode == 0) is healthy, result.stderr


def test_the_health_command_fails_when_nothing_listens(busybox_path):
    result = subprocess.run(
        [f"{busybox_path}/sh", "-c", health_command("/ok", 1)],
        env={"PATH": busybox_path},
        capture_output=True,
        timeout=10,
        check=False,
    )

    assert result.returncode != 0
