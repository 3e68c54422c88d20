"""A compose stack on the real swarm, worker and gateway: web -> api -> store."""

from __future__ import annotations

import textwrap
import time

import pytest

from apps import reconcile
from apps.compose import services
from apps.compose.models import ServiceState, StackService, StackStatus
from apps.models import App, Status
from apps.volumes.models import Volume
from paas import naming
from tests.integration.compose.conftest import RELAY, task_ids

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def compose(image: str, *, store_message: str = "v1", with_web: bool = True) -> str:
    relay = textwrap.indent(RELAY.replace("$", "$$"), " " * 6)  # compose interpolates $
    web = (
        f"""
  web:
    image: {image}
    configs:
      - source: relay
        target: /www/cgi-bin/relay
        mode: 0755
    x-berth:
      http_port: 80
    depends_on:
      api:
        condition: service_healthy
"""
        if with_web
        else ""
    )
    return f"""
services:{web}
  api:
    image: {image}
    configs:
      - source: relay
        target: /www/cgi-bin/relay
        mode: 0755
    healthcheck:
      test: ["CMD-SHELL", "printf 'GET /cgi-bin/health HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 80 | grep -q ' 200 '"]
    depends_on: [store]
  store:
    image: ${{STORE_IMAGE:-{image}}}
    environment:
      MESSAGE: {store_message}
    volumes:
      - data:/data
volumes:
  data: {{}}
configs:
  relay:
    content: |
{relay}
"""


def test_a_three_service_stack_deploys_in_order_routes_web_and_diffs_redeploys(
    people, images, gateway, deploy_worker, stack_ready, engine
):
    dev = people.principal("developer")
    stack = services.apply_stack(
        team=people.team, principal=dev, name="shop", compose=compose(images.web)
    )
    stack = stack_ready(stack)
    rows = {
        row.service: row
        for row in StackService.objects.filter(stack=stack).select_related("deployment")
    }
    assert stack.status == StackStatus.HEALTHY, {s: (r.state, r.reason) for s, r in rows.items()}
    assert [row.service for row in StackService.objects.filter(stack=stack)] == [
        "store",
        "api",
        "web",
    ]
    # depends_on: each service deployed once what it depends on was healthy.
    store, api, web = (rows[name].deployment for name in ("store", "api", "web"))
    assert store is not None
    assert api is not None
    assert web is not None
    assert {store.status, api.status, web.status} == {Status.HEALTHY}
    assert store.finished_at is not None
    assert api.finished_at is not None
    assert api.created_at >= store.finished_at
    assert web.created_at >= api.finished_at
    # Only web is routed; it reaches api by its service name, api reaches store.
    assert App.objects.get(name="shop-api").internal
    reply = gateway.wait_for(
        "shop-web.localhost", "/cgi-bin/relay?api/cgi-bin/relay?store/cgi-bin/write?kept"
    )
    assert "stored" in reply.body, reply.body
    reply = gateway.get("shop-web.localhost", "/cgi-bin/relay?api/cgi-bin/relay?store/cgi-bin/info")
    assert "data=kept" in reply.body, reply.body
    assert "message=v1" in reply.body
    assert gateway.get("shop-api.localhost", "/").status == 404  # internal: never routed
    # The named volume is the team's Berth volume, mounted by the store's app.
    volume = Volume.objects.get(team=people.team, name="shop-data")
    assert list(volume.mounts.values_list("app__name", "path")) == [("shop-store", "/data")]

    before = {name: task_ids(engine, naming.app_service(f"shop-{name}")) for name in rows}
    # The reconcile finds nothing to repair in what a stack runs (no restart every pass).
    assert reconcile.reconcile() == {}
    stack = services.apply_stack(
        team=people.team,
        principal=dev,
        name="shop",
        compose=compose(images.web, store_message="v2"),
        existing=stack,
    )
    stack = stack_ready(stack, revision=2)
    assert stack.status == StackStatus.HEALTHY, stack.reason
    after = {name: task_ids(engine, naming.app_service(f"shop-{name}")) for name in rows}
    assert after["web"] == before["web"]
    assert after["api"] == before["api"]
    assert after["store"]
    assert after["store"].isdisjoint(before["store"])
    # The new store task has the new setting and the old data (a named volume).
    reply = gateway.get("shop-web.localhost", "/cgi-bin/relay?api/cgi-bin/relay?store/cgi-bin/info")
    assert "data=kept" in reply.body, reply.body
    assert "message=v2" in reply.body

    # A service dropped from the file keeps running until a redeploy with prune.
    stack = services.apply_stack(
        team=people.team,
        principal=dev,
        name="shop",
        compose=compose(images.web, store_message="v2", with_web=False),
        existing=stack,
    )
    stack = stack_ready(stack, revision=3)
    web_row = StackService.objects.get(stack=stack, service="web")
    assert web_row.state == ServiceState.REMOVED
    assert task_ids(engine, naming.app_service("shop-web")) == before["web"]
    admin = people.principal("admin")
    stack = services.apply_stack(
        team=people.team,
        principal=admin,
        name="shop",
        compose=compose(images.web, store_message="v2", with_web=False),
        existing=stack,
        prune=True,
    )
    stack = stack_ready(stack, revision=4)
    deadline = time.monotonic() + 60
    while App.objects.filter(name="shop-web").exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not App.objects.filter(name="shop-web").exists()
    assert not StackService.objects.filter(stack=stack, service="web").exists()
    assert not engine.services.list(filters={"name": naming.app_service("shop-web")})
    assert task_ids(engine, naming.app_service("shop-api")) == before["api"]
