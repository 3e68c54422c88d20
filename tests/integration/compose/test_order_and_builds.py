"""service_healthy ordering when a dependency fails; builds and file secrets from a tarball;
deleting a stack leaves nothing of it on the engine."""

from __future__ import annotations

import io
import tarfile
import time

import pytest

from apps.compose import services
from apps.compose.models import ServiceState, Stack, StackService, StackStatus
from apps.models import App, Status
from apps.volumes.models import Volume
from paas import naming

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HEALTH = (
    "printf 'GET /cgi-bin/health HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 80 | grep -q ' 200 '"
)


def ordered(image: str, check: str) -> str:
    return f"""
services:
  web:
    image: {image}
    depends_on:
      api: {{condition: service_healthy}}
  api:
    image: {image}
    healthcheck:
      test: ["CMD-SHELL", "{check}"]
      interval: 1s
      retries: 1
"""


def test_a_dependent_waits_for_a_healthy_dependency_and_is_blocked_when_it_fails(
    people, images, gateway, deploy_worker, stack_ready, engine
):
    dev = people.principal("developer")
    stack = services.apply_stack(
        team=people.team, principal=dev, name="order", compose=ordered(images.web, "exit 1")
    )

    stack = stack_ready(stack)

    assert stack.status == StackStatus.FAILED
    rows = {
        r.service: r for r in StackService.objects.filter(stack=stack).select_related("deployment")
    }
    assert rows["api"].state == ServiceState.FAILED
    assert rows["api"].deployment is not None
    assert rows["api"].deployment.status == Status.FAILED
    assert "health check" in rows["api"].reason
    assert rows["web"].state == ServiceState.BLOCKED
    assert rows["web"].reason == "It depends on api, which did not deploy."
    assert rows["web"].deployment is None  # never started
    assert not engine.services.list(filters={"name": naming.app_service("order-web")})

    # The fixed file deploys api, then web.
    stack = services.apply_stack(
        team=people.team,
        principal=dev,
        name="order",
        compose=ordered(images.web, HEALTH),
        existing=stack,
    )
    stack = stack_ready(stack, revision=2)
    assert stack.status == StackStatus.HEALTHY, stack.reason
    rows = {
        r.service: r for r in StackService.objects.filter(stack=stack).select_related("deployment")
    }
    api, web = rows["api"].deployment, rows["web"].deployment
    assert api is not None
    assert web is not None
    assert api.finished_at is not None
    assert web.created_at >= api.finished_at


def _tarball(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    buffer.name = "stack.tar.gz"
    return buffer


def test_a_tarball_stack_builds_its_service_delivers_a_file_secret_and_deletes_cleanly(
    people, images, gateway, deploy_worker, stack_ready, engine, token_client
):
    client = token_client(people.team)
    upload = _tarball(
        {
            "compose.yaml": (
                b"services:\n  site:\n    build: {context: ./site, dockerfile: web.Dockerfile}\n"
                b"    secrets: [token]\n    volumes: ['cache:/cache']\n"
                b"    x-berth: {http_port: 80}\n"
                b"secrets:\n  token: {file: ./token.txt}\n"
                b"volumes:\n  cache: {}\n"
            ),
            "token.txt": b"file-secret-77",
            "site/web.Dockerfile": f"FROM {images.web}\nCOPY page.html /www/page.html\n".encode(),
            "site/page.html": b"<p>built from the stack's context</p>\n",
        }
    )

    response = client.post(
        "/api/v1/stacks/", {"name": "built", "source": upload}, format="multipart"
    )

    assert response.status_code == 202, response.json()
    stack = stack_ready(Stack.objects.get(name="built"))
    assert stack.status == StackStatus.HEALTHY, stack.reason
    row = StackService.objects.select_related("deployment").get(stack=stack)
    assert row.deployment is not None
    assert row.deployment.built
    assert "Building" in (row.deployment.log or "")
    assert (
        "built from the stack's context"
        in gateway.wait_for("built-site.localhost", "/page.html").body
    )
    info = gateway.get("built-site.localhost", "/cgi-bin/info").body
    assert "secret token=file-secret-77" in info
    assert response.json()["services"][0]["image"] == ""
    assert "file-secret-77" not in str(client.get("/api/v1/stacks/built/").json())

    label = {"label": "berth.stack=built"}
    assert engine.networks.list(filters=label)
    volume = Volume.objects.get(team=people.team, name="built-cache")  # a Berth volume
    assert engine.volumes.list(filters={"name": volume.engine_name})
    assert client.delete("/api/v1/stacks/built/?volumes=1").status_code == 202
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (
        Stack.objects.filter(name="built").exists() or Volume.objects.filter(pk=volume.pk).exists()
    ):
        time.sleep(0.5)
    assert not Volume.objects.filter(pk=volume.pk).exists()
    assert not engine.volumes.list(filters={"name": volume.engine_name})
    assert not Stack.objects.filter(name="built").exists()
    assert not App.objects.filter(name="built-site").exists()
    assert not engine.services.list(filters={"name": naming.app_service("built-site")})
    for kind in (engine.networks, engine.secrets, engine.configs):
        assert not kind.list(filters=label), kind
