"""Berth installed as its own stack on the real swarm, used through its gateway,
upgraded to a new image, backed up and restored into a fresh namespace."""

from __future__ import annotations

import contextlib
import http.cookiejar
import io
import stat
import time
from typing import Any

import docker.errors
import pytest

from paas.production import backup, deploy
from tests.integration.production.conftest import (
    ROOT_DOMAIN,
    container_of,
    run_in,
    settings_for,
    sign_up,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

APP = "hello"
APP_HOST = f"{APP}.{ROOT_DOMAIN}"


def new_version_of(engine: Any, tag: str) -> str:
    """Another image of the same code (what a rebuilt checkout would give swarm)."""
    upgraded = f"{tag}-next"
    dockerfile = f"FROM {tag}\nLABEL berth.test.upgrade=1\n"
    engine.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=upgraded, rm=True, forcerm=True
    )
    return upgraded


def wait_scheduling(engine: Any, service: str, image: str, timeout: float = 90.0) -> None:
    """Until a task of ``service`` on ``image`` sends a periodic task (beat holds the lock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # The low-level calls: a container of a rolling update may vanish meanwhile.
        for container in engine.api.containers(
            filters={"label": f"com.docker.swarm.service.name={service}"}
        ):
            tags = engine.api.inspect_image(container["ImageID"]).get("RepoTags") or []
            with contextlib.suppress(docker.errors.NotFound):
                if image in tags and b"Sending due task" in engine.api.logs(container["Id"]):
                    return
        time.sleep(1)
    raise AssertionError(f"no task of {service} on {image} scheduled anything in {timeout} s")


def spec_of(engine: Any, name: str) -> dict[str, Any]:
    return dict(engine.services.get(name).attrs["Spec"])


def test_install_use_upgrade_back_up_and_restore(engine, images, portal_image, portals):
    lines: list[str] = []
    first = portals()
    settings = settings_for(first, portal_image, images.nginx)

    # Install on the test swarm: the migrate job runs once, the services come up healthy.
    result = deploy.install(data_dir=first.data_dir, explicit=settings, log=lines.append)
    assert result.portal_url == f"http://berth.{ROOT_DOMAIN}:{first.http_port}/"
    assert any("Applying paas.0001_initial... OK" in line for line in lines)
    services = {
        s.name: s
        for s in engine.services.list(filters={"label": f"berth.namespace={first.namespace}"})
    }
    for key in ("web", "worker", "redis", "engine", "gateway"):
        assert f"{first.namespace}-{key}" in services
    assert f"{first.namespace}-beat" not in services  # the worker runs it
    wait_scheduling(engine, f"{first.namespace}-worker", portal_image)
    # The one-shot job leaves neither its service nor its finished container behind.
    job = f"{first.namespace}-migrate"
    assert job not in services
    assert not engine.api.containers(
        all=True, filters={"label": f"com.docker.swarm.service.name={job}"}
    )
    # The docker socket only where it is needed; everything stateful on this manager.
    for key in ("web", "worker", "redis", "engine"):
        spec = spec_of(engine, f"{first.namespace}-{key}")
        sources = [m["Source"] for m in spec["TaskTemplate"]["ContainerSpec"].get("Mounts", [])]
        assert ("/var/run/docker.sock" in sources) == (key in ("worker", "engine")), key
        assert spec["TaskTemplate"]["Placement"]["Constraints"][0].startswith("node.id == ")
    assert (
        spec_of(engine, f"{first.namespace}-web")["TaskTemplate"]["ContainerSpec"]["User"]
        == "10001:10001"
    )
    assert stat.S_IMODE((first.data_dir / "install.env").stat().st_mode) == 0o600

    # Sign up (the first account is the operator), then log in afresh, through the gateway.
    sign_up(first, "ops", "a long test password 1")
    first.cookies = http.cookiejar.CookieJar()
    status, _, headers = first.post_form(
        "/accounts/login/", {"login": "ops", "password": "a long test password 1"}
    )
    assert status == 302, "login refused"
    status, page, _ = first.request("GET", headers["Location"])
    assert status == 200
    assert "ops" in page

    code, token = run_in(
        engine,
        f"{first.namespace}-web",
        [
            "python",
            "manage.py",
            "maketoken",
            "--team",
            "shop",
            "--scopes",
            "read,deploy,admin",
            "--create-team",
        ],
    )
    token = token.strip()
    assert code == 0, token

    # Deploy an app through the API and the gateway; the worker drives the swarm.
    status, created = first.api("POST", "apps/", token, {"name": APP, "container_port": 80})
    assert status == 201, created
    status, deployment = first.api("POST", f"apps/{APP}/deployments/", token, {"image": images.web})
    assert status == 202, deployment
    done = first.wait_api(
        f"apps/{APP}/deployments/{deployment['number']}/",
        token,
        lambda d: d["status"] in ("healthy", "failed", "rolled_back"),
    )
    assert done["status"] == "healthy", done
    first.wait_http(
        APP_HOST, "/cgi-bin/info", lambda status, body: status == 200 and "hostname=" in body
    )
    # The web reads app logs through the engine proxy, and may not write to the engine.
    status, logs = first.api("GET", f"apps/{APP}/logs/?tail=5", token)
    assert status == 200, logs
    code, output = run_in(
        engine,
        f"{first.namespace}-web",
        [
            "python",
            "-c",
            "import docker, os; c = docker.DockerClient(base_url=os.environ['DOCKER_HOST']);"
            "print(len(c.services.list()));"
            "c.services.create('berth-test/web:1', name='escape-attempt')",
        ],
    )
    assert output.strip().isdigit(), output  # reading the services worked
    assert code != 0  # creating one was refused
    assert not engine.services.list(filters={"name": "escape-attempt"})

    # Upgrade to a new image: settings come from install.env; state survives the roll.
    # A beat service as installations before the worker ran it had: upgrade removes it.
    engine.services.create(
        images.web,
        name=f"{first.namespace}-beat",
        labels={"berth.namespace": first.namespace, "berth.kind": "stack-beat"},
    )
    secret_key = (first.data_dir / "secret_key").read_text()
    next_image = new_version_of(engine, portal_image)
    lines.clear()
    upgraded = deploy.install(
        data_dir=first.data_dir,
        explicit={"BERTH_IMAGE": next_image},
        log=lines.append,
        upgrade=True,
    )
    assert upgraded.image == next_image
    assert any("No migrations to apply." in line for line in lines)
    for key in ("web", "worker"):
        image = spec_of(engine, f"{first.namespace}-{key}")["TaskTemplate"]["ContainerSpec"][
            "Image"
        ]
        assert image.startswith(next_image)
        assert any(f"service {first.namespace}-{key}: updating" in line for line in lines)
    assert any(f"service {first.namespace}-redis: up to date" in line for line in lines)
    assert f"service {first.namespace}-beat: removed (no longer part of the stack)" in lines
    assert not engine.services.list(filters={"name": f"{first.namespace}-beat"})
    # The new worker's scheduler took the lock over from the old one's.
    wait_scheduling(engine, f"{first.namespace}-worker", next_image)
    assert next_image in container_of(engine, f"{first.namespace}-web").image.tags
    assert (first.data_dir / "secret_key").read_text() == secret_key
    status, page, _ = first.request("GET", "/")  # the session from before the upgrade
    assert status == 200
    assert "ops" in page
    status, listed = first.api("GET", "apps/", token)
    assert status == 200
    assert [app["name"] for app in listed["results"]] == [APP]
    first.wait_http(APP_HOST, "/cgi-bin/info", lambda status, body: status == 200)

    # Back up while it runs, then restore into a fresh namespace and data folder.
    archive = backup.create(
        first.data_dir, first.data_dir.parent / "berth.tar.gz", log=lines.append
    )
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = backup.read_manifest(archive)
    assert manifest.namespace == first.namespace
    assert "secret_key" in manifest.files
    assert any(name.startswith(f"gateway/{first.namespace}/sites/") for name in manifest.files)

    second = portals()
    backup.restore(
        archive, second.data_dir, namespace=second.namespace, replace=False, log=lines.append
    )
    with pytest.raises(backup.BackupError, match="already holds a database"):
        backup.restore(
            archive, second.data_dir, namespace=second.namespace, replace=False, log=lines.append
        )
    deploy.install(
        data_dir=second.data_dir,
        explicit={
            "BERTH_NAMESPACE": second.namespace,
            "BERTH_GATEWAY_HTTP_PORT": str(second.http_port),
            "BERTH_GATEWAY_HTTPS_PORT": str(second.https_port),
        },
        log=lines.append,
    )
    # The same token (its hash was in the database) finds the app in the new installation,
    # and the reconcile runs it there under the new namespace's names.
    status, listed = second.api("GET", "apps/", token)
    assert status == 200
    assert [app["name"] for app in listed["results"]] == [APP]
    second.wait_http(APP_HOST, "/cgi-bin/info", lambda status, body: status == 200, timeout=120)
    assert engine.services.list(filters={"name": f"{second.namespace}-app-{APP}"})
    assert (second.data_dir / "secret_key").read_text() == secret_key

    # Over the installation in use: its portal stops, the state comes back, install restarts it.
    status, _ = first.api("DELETE", f"apps/{APP}/", token)
    assert status in (202, 204)
    first.wait_api("apps/", token, lambda body: body["results"] == [])
    lines.clear()
    backup.restore(archive, first.data_dir, namespace=None, replace=True, log=lines.append)
    assert any("stopped" in line and f"{first.namespace}-web" in line for line in lines)
    assert list(first.data_dir.glob("before-restore-*/berth.sqlite3"))
    deploy.install(data_dir=first.data_dir, explicit={}, log=lines.append)
    assert any(f"service {first.namespace}-web: updating" in line for line in lines)
    status, listed = first.api("GET", "apps/", token)
    assert status == 200
    assert [app["name"] for app in listed["results"]] == [APP]
    first.wait_http(APP_HOST, "/cgi-bin/info", lambda status, body: status == 200, timeout=120)
