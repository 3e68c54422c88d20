"""App logs from the real service (tail and follow), and deleting an app cleans the engine."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from django.db import connection

from apps import deploy, logs, services
from apps.models import App, Status
from paas import naming
from paas import services as token_services
from tests.support.processes import running_web

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHATTY = 'CMD ["sh", "-c", "echo hello-log $MESSAGE; (while true; do echo tick; sleep 0.5; done) & mkdir -p /tmp; exec httpd -f -vv -p 80 -h /www"]'


def chatty_definition(base: str) -> str:
    return json.dumps({"schemaVersion": 2, "dockerfileLines": [f"FROM {base}", CHATTY]})


def test_logs_tail_and_follow_through_the_api(
    people, images, gateway, deploy_worker, finished, api, settings
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="talky", env={"MESSAGE": "m1"})
    deployment = finished(
        deploy.deploy_definition(app=app, principal=dev, text=chatty_definition(images.web))
    )
    assert deployment.status == Status.HEALTHY, deployment.log
    api.force_authenticate(people.viewer)

    tail = api.get("/api/v1/apps/talky/logs/?tail=500")
    text = b"".join(tail.streaming_content).decode()

    assert tail.status_code == 200
    assert tail["Content-Type"].startswith("text/plain")
    assert "hello-log m1" in text
    assert text.splitlines()[0].startswith("[")  # "[task id] line"

    settings.BERTH_LOG_FOLLOW_SECONDS = 15
    followed = api.get("/api/v1/apps/talky/logs/?tail=1&follow=1&timestamps=1")
    seen: list[str] = []

    def read() -> None:
        for chunk in followed.streaming_content:
            seen.append(chunk if isinstance(chunk, str) else chunk.decode())
            if any("url:/cgi-bin/info" in line for line in seen):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(1)
    gateway.wait_for("talky.localhost", "/cgi-bin/info")
    reader.join(timeout=20)

    assert any("url:/cgi-bin/info" in line for line in seen), seen[-5:]
    assert seen[0][:4].isdigit()  # timestamps asked for

    # Each followed stream holds a thread of the web: a team may hold half the slots.
    settings.BERTH_LOG_FOLLOW_LIMIT = 2
    assert logs.SLOTS.open_streams(people.team.pk) == 1
    refused = api.get("/api/v1/apps/talky/logs/?follow=1")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_streams"
    assert "Your team has 1 followed log stream(s) open" in refused.json()["error"]["message"]
    followed.close()
    assert logs.SLOTS.open_streams(people.team.pk) == 0
    again = api.get("/api/v1/apps/talky/logs/?tail=1&follow=1")
    assert again.status_code == 200
    again.close()
    assert logs.SLOTS.open_streams() == 0


QUIET = 'CMD ["sh", "-c", "echo started-quietly; mkdir -p /www; exec httpd -f -p 80 -h /www"]'


def deploy_quiet(people, images, finished, name: str) -> None:
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name=name)
    text = json.dumps({"schemaVersion": 2, "dockerfileLines": [f"FROM {images.web}", QUIET]})
    deployment = finished(deploy.deploy_definition(app=app, principal=dev, text=text))
    assert deployment.status == Status.HEALTHY, deployment.log


def test_a_followed_stream_on_a_quiet_app_ends_once_its_client_has_gone(
    people, images, gateway, deploy_worker, finished, api, settings
):
    deploy_quiet(people, images, finished, "hushed")
    api.force_authenticate(people.viewer)
    # The app writes nothing more; the stream itself may last a minute.
    settings.BERTH_LOG_FOLLOW_SECONDS = 60
    hung_up = threading.Event()
    followed = api.get(
        "/api/v1/apps/hushed/logs/?tail=5&follow=1",
        **{"waitress.client_disconnected": hung_up.is_set},
    )
    assert followed.status_code == 200
    seen: list[str] = []
    ended = threading.Event()

    def read() -> None:
        for chunk in followed.streaming_content:
            seen.append(chunk if isinstance(chunk, str) else chunk.decode())
        ended.set()

    threading.Thread(target=read, daemon=True).start()
    time.sleep(4)  # a few rounds of asking the engine, with the client still there
    assert not ended.is_set()
    assert any("started-quietly" in line for line in seen), seen
    assert logs.SLOTS.open_streams(people.team.pk) == 1

    hung_up.set()
    # Within a round, not when BERTH_LOG_FOLLOW_SECONDS run out (nor never, as when
    # the stream was the engine's own: it blocked until the app wrote a line).
    assert ended.wait(timeout=10)
    followed.close()
    assert logs.SLOTS.open_streams() == 0


def _follow_request(port: int, token: str, app: str) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(
        f"GET /api/v1/apps/{app}/logs/?tail=5&follow=1 HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    return client


def _status(client: socket.socket) -> int:
    return int(client.recv(4096).split(b" ", 2)[1])


def test_the_web_server_gives_a_hung_up_stream_s_slot_back(
    people, images, gateway, deploy_worker, finished, namespace, tmp_path
):
    # The stack's web process (waitress, paas/production/web.py) on this test's
    # database: a team may follow one stream at a time (a limit of 2, half each).
    deploy_quiet(people, images, finished, "mute")
    _, token = token_services.create_token(
        team=people.team, name="logs", scopes="read", principal=None
    )
    with running_web(
        tmp_path,
        DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}",
        BERTH_NAMESPACE=namespace,
        BERTH_LOG_FOLLOW_LIMIT="2",
    ) as (_, port):
        first = _follow_request(port, token, "mute")
        assert _status(first) == 200
        second = _follow_request(port, token, "mute")
        assert _status(second) == 429  # the team's one stream is open
        second.close()

        first.close()  # the client hangs up; the quiet app writes nothing
        time.sleep(3)
        third = _follow_request(port, token, "mute")
        assert _status(third) == 200
        third.close()


def test_deleting_an_app_removes_its_service_route_secrets_and_built_images(
    people, images, gateway, deploy_worker, finished, api, engine
):
    owner = people.principal("owner")
    app = services.create_app(team=people.team, principal=owner, name="doomed")
    services.set_secret(app=app, principal=owner, name="key", value="v")
    deployment = finished(
        deploy.deploy_definition(app=app, principal=owner, text=chatty_definition(images.web))
    )
    assert deployment.status == Status.HEALTHY, deployment.log
    gateway.wait_for("doomed.localhost", "/cgi-bin/info")
    label = "berth.app=doomed"
    assert engine.secrets.list(filters={"label": label})
    assert engine.images.list(filters={"label": label})
    api.force_authenticate(people.admin)

    response = api.delete("/api/v1/apps/doomed/")

    assert response.status_code == 202
    deadline = time.monotonic() + 90
    while App.objects.filter(name="doomed").exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not App.objects.filter(name="doomed").exists()
    assert not engine.services.list(filters={"name": naming.app_service("doomed")})
    assert not engine.secrets.list(filters={"label": label})
    assert not engine.images.list(filters={"label": label})
    assert gateway.get("doomed.localhost", "/cgi-bin/info").status == 404
    # The name is free again.
    assert services.create_app(team=people.team, principal=owner, name="doomed").pk
