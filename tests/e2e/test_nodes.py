"""The operator's nodes page in a real Chromium: the cluster, the add forms with an error
in place, and an operation's log that grows live while the worker writes it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from nodes.models import Node, NodeOperation
from tests.support.personas import PASSWORD, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_nodes_page(live_server: Any, page: Any, screenshot: Any, transactional_db: None) -> None:
    make_user("captain", is_staff=True, is_superuser=True)
    node = Node.objects.create(
        node_id="qr7mxbpw2pln",
        hostname="worker-2",
        role="worker",
        availability="active",
        state="ready",
        address="10.77.5.3",
        engine_version="20.10.24",
        cpus=2,
        memory_bytes=4 * 2**30,
        labels={"zone": "eu-1"},
        berth_tasks=[{"service": "berth-app-shop", "app": "shop", "state": "running"}],
    )
    url = live_server.url
    page.goto(f"{url}/accounts/login/")
    page.locator("#id_login").fill("captain")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Nodes").click()
    expect(page.get_by_role("heading", name="Nodes", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="worker-2")).to_be_visible()
    expect(page.get_by_text("zone=eu-1")).to_be_visible()
    screenshot("nodes")

    ssh = page.get_by_role("form", name="Over SSH")
    ssh.get_by_label("Host or IP address").fill("10.77.5.9")
    ssh.get_by_role("button", name="Join over SSH").click()
    expect(page.get_by_text("Give a private key or a password.")).to_be_visible()
    screenshot("ssh-form-error")

    operation = NodeOperation.objects.create(
        kind="drain",
        node=node,
        node_ref=node.node_id,
        status="running",
        log="04:40:01  Set worker-2 (qr7mxbpw2pln) to drain; waiting for its tasks to move\n",
    )
    page.goto(f"{url}/ops/nodes/{node.pk}/")
    expect(page.get_by_text("waiting for its tasks to move")).to_be_visible()
    expect(page.get_by_role("status").first).to_have_text("Running")
    NodeOperation.objects.filter(pk=operation.pk).update(
        status="succeeded",
        log=operation.log + "04:40:04  No task runs on the node any more\n04:40:04  Done.\n",
    )
    # Polled in place, no reload: the new lines and the final state appear.
    expect(page.get_by_text("No task runs on the node any more")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("status").first).to_have_text("Succeeded")
    screenshot("node-drained")
