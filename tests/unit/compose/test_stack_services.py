"""Stack service functions: domains from x-berth, trusted teams, the rollout's bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.compose import progress, services
from apps.compose.models import ServiceState, Stack, StackService
from apps.models import App, Deployment, Status
from routing.models import Domain

pytestmark = pytest.mark.django_db


def apply(people: Any, compose: str, **kwargs: Any) -> Stack:
    return services.apply_stack(
        team=people.team,
        principal=people.principal("developer"),
        name="shop",
        compose=compose,
        **kwargs,
    )


def test_x_berth_domains_become_the_apps_domains_and_leave_with_the_file(people):
    with_domains = "services:\n  web:\n    image: x\n    x-berth: {http_port: 80, domains: [shop.example.com]}\n"
    stack = apply(people, with_domains)

    domain = Domain.objects.get(hostname="shop.example.com")
    assert domain.app.name == "shop-web"
    assert not domain.verified  # checked like any custom domain before it is routed

    apply(people, "services:\n  web:\n    image: x\n    x-berth: {http_port: 80}\n", existing=stack)
    assert not Domain.objects.exists()


def test_a_domain_of_another_app_is_refused_at_its_path(people):
    from routing import services as routing_services

    other = App.objects.create(team=people.team, name="other")
    routing_services.add_domain(app=other, principal=None, hostname="taken.example.com")

    with pytest.raises(ValidationError) as caught:
        apply(
            people,
            "services:\n  web:\n    image: x\n    x-berth: {http_port: 80, domains: [taken.example.com]}\n",
        )

    assert caught.value.message_dict == {
        "services.web.x-berth.domains": [
            "taken.example.com is already used by an app on this Berth."
        ]
    }
    assert not App.objects.filter(name="shop-web").exists()


def test_a_trusted_team_passes_the_policy_but_not_what_swarm_cannot_do(people, settings):
    settings.BERTH_BIND_PREFIXES = ["/srv"]
    people.team.trusted = True
    people.team.save()

    stack = apply(
        people,
        "services:\n  web:\n    image: x\n    volumes: ['/srv/web:/data']\n    cap_add: [SYS_ADMIN]\n",
    )
    spec = StackService.objects.get(stack=stack).spec["compose"]
    assert spec["mounts"] == [
        {"Type": "bind", "Source": "/srv/web", "Target": "/data", "ReadOnly": False}
    ]
    assert spec["container"]["CapabilityAdd"] == ["SYS_ADMIN"]

    with pytest.raises(ValidationError) as caught:
        apply(people, "services:\n  web:\n    image: x\n    privileged: true\n", existing=stack)
    assert caught.value.message_dict == {
        "services.web.privileged": ["privileged is not available to swarm services."]
    }


def test_the_rollout_starts_dependencies_first_and_blocks_on_failure(
    people, django_capture_on_commit_callbacks
):
    stack = apply(
        people,
        "services:\n  web: {image: example/web:1, depends_on: {api: {condition: service_healthy}}}\n"
        "  api: {image: example/api:1}\n",
    )

    with django_capture_on_commit_callbacks():  # the deployments' tasks are not run here
        assert progress._advance(stack.pk) == "deploying"
    rows = {
        r.service: r for r in StackService.objects.filter(stack=stack).select_related("deployment")
    }
    assert rows["api"].state == ServiceState.DEPLOYING
    assert rows["api"].deployment is not None
    assert rows["api"].deployment.image == "example/api:1"
    assert rows["api"].deployment.created_by == "developer"  # in the applier's name
    assert rows["web"].state == ServiceState.WAITING
    assert rows["web"].reason == "Waiting for api to be healthy."
    assert rows["web"].deployment is None

    Deployment.objects.filter(pk=rows["api"].deployment.pk).update(
        status=Status.FAILED, reason="It crashed."
    )
    with django_capture_on_commit_callbacks():
        assert progress._advance(stack.pk) == "failed"
    stack.refresh_from_db()
    assert stack.reason == (
        "api: Deployment #1: It crashed.; web: It depends on api, which did not deploy."
    )
    assert not Deployment.objects.filter(app__name="shop-web").exists()
