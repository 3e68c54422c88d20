"""Host access in compose files goes through paas.policy: refused unless the team is trusted."""

from __future__ import annotations

import pytest

from tests.unit.compose.helpers import TRUSTED, plan, refusal

SOCKET_REFUSAL = "The Docker socket gives root on the host and cannot be mounted."


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (
            "privileged: true",
            {
                "services.web.privileged": [
                    "Privileged mode (True) gives access to the host and needs a trusted team."
                ]
            },
        ),
        (
            "cap_add: [CHOWN, SYS_ADMIN, NET_ADMIN]",
            {"services.web.cap_add": ["Capabilities NET_ADMIN, SYS_ADMIN need a trusted team."]},
        ),
        (
            "network_mode: host",
            {
                "services.web.network_mode": [
                    "Host networking (host) gives access to the host and needs a trusted team."
                ]
            },
        ),
        (
            "pid: host",
            {
                "services.web.pid": [
                    "The host PID namespace (host) gives access to the host and needs a trusted team."
                ]
            },
        ),
        (
            "devices: ['/dev/sda:/dev/sda']",
            {
                "services.web.devices": [
                    "Host devices (/dev/sda:/dev/sda) gives access to the host and needs a trusted team."
                ]
            },
        ),
        (
            "volumes: ['/etc:/host-etc']",
            {
                "services.web.volumes": [
                    "Host path /etc cannot be mounted: host bind mounts need a team an operator trusts; use a volume instead."
                ]
            },
        ),
        (
            "volumes: ['/var/run/docker.sock:/var/run/docker.sock']",
            {"services.web.volumes": [SOCKET_REFUSAL]},
        ),
        (
            "ports: ['8080:80']",
            {"services.web.ports": ["Host port 8080 is outside the allowed range 10000-20000."]},
        ),
    ],
)
def test_host_access_is_refused_for_a_team_that_is_not_trusted(service, expected):
    assert refusal(f"services:\n  web:\n    image: x\n    {service}\n") == expected


def test_safe_capabilities_pass():
    result = plan("services:\n  web:\n    image: x\n    cap_add: [CHOWN, NET_BIND_SERVICE]\n")

    assert result.services[0].compose["container"]["CapabilityAdd"] == ["CHOWN", "NET_BIND_SERVICE"]


def test_a_local_volume_over_a_host_folder_is_a_bind_mount_to_the_policy():
    errors = refusal(
        "services:\n  web:\n    image: x\n    volumes: ['data:/data']\n"
        "volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /etc}\n"
    )

    assert errors == {
        "services.web.volumes": [
            "Host path /etc cannot be mounted: host bind mounts need a team an operator "
            "trusts; use a volume instead."
        ]
    }


def test_a_trusted_team_binds_under_the_allowed_prefixes_only():
    result = plan(
        "services:\n  web:\n    image: x\n    volumes: ['/srv/data:/data:ro']\n", rules=TRUSTED
    )
    assert result.services[0].compose["mounts"] == [
        {"Type": "bind", "Source": "/srv/data", "Target": "/data", "ReadOnly": True}
    ]

    errors = refusal(
        "services:\n  web:\n    image: x\n    volumes: ['/etc:/etc2']\n", rules=TRUSTED
    )
    assert errors == {
        "services.web.volumes": [
            "Host path /etc is outside the allowed prefixes (/srv); see BERTH_BIND_PREFIXES."
        ]
    }


def test_what_swarm_cannot_run_is_refused_even_for_a_trusted_team():
    errors = refusal("services:\n  web:\n    image: x\n    privileged: true\n", rules=TRUSTED)

    assert errors == {"services.web.privileged": ["privileged is not available to swarm services."]}


def test_a_host_port_in_range_is_published_on_the_host_and_updates_stop_first():
    result = plan("services:\n  db:\n    image: x\n    ports: ['15432:5432']\n")

    extra = result.services[0].compose["service_spec"]
    assert extra["EndpointSpec"] == {
        "Ports": [
            {"Protocol": "tcp", "TargetPort": 5432, "PublishedPort": 15432, "PublishMode": "host"}
        ]
    }
    assert extra["UpdateConfig"]["Order"] == "stop-first"
    assert result.services[0].settings["internal"] is True
