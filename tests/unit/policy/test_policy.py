import pytest
from django.core.exceptions import ValidationError

from paas.policy import HostAccess, Rules, check, enforce, parse_port_range

UNTRUSTED = Rules(trusted=False, bind_prefixes=("/srv/berth",), port_range=(10000, 20000))
TRUSTED = Rules(trusted=True, bind_prefixes=("/srv/berth",), port_range=(10000, 20000))


def fields(refusals):
    return [r.field for r in refusals]


def test_a_plain_service_is_allowed():
    assert check(HostAccess(host_ports=[12000], cap_add=["chown"]), UNTRUSTED) == []


@pytest.mark.parametrize(
    "access",
    [
        HostAccess(bind_mounts=["/srv/berth/data"]),
        HostAccess(privileged=True),
        HostAccess(network_mode="host"),
        HostAccess(pid_mode="host"),
        HostAccess(ipc_mode="host"),
        HostAccess(devices=["/dev/sda"]),
        HostAccess(cap_add=["SYS_ADMIN"]),
        HostAccess(cap_add=["ALL"]),
        HostAccess(security_opt=["seccomp=unconfined"]),
        HostAccess(sysctls=["net.ipv4.ip_forward=1"]),
        HostAccess(host_ports=[80]),
    ],
)
def test_an_untrusted_team_is_refused_host_access(access):
    assert len(check(access, UNTRUSTED)) == 1


def test_the_docker_socket_is_named_in_the_refusal():
    (refusal,) = check(HostAccess(bind_mounts=["/var/run/../run/docker.sock"]), UNTRUSTED)
    assert "Docker socket" in refusal.message


def test_mounting_the_root_folder_is_refused_as_the_socket_too():
    (refusal,) = check(HostAccess(bind_mounts=["/"]), UNTRUSTED)
    assert "Docker socket" in refusal.message


def test_a_trusted_team_binds_only_under_the_allowed_prefixes():
    assert check(HostAccess(bind_mounts=["/srv/berth/app1"]), TRUSTED) == []
    (refusal,) = check(HostAccess(bind_mounts=["/srv/berth/../../etc"]), TRUSTED)
    assert "/etc is outside the allowed prefixes" in refusal.message
    (refusal,) = check(HostAccess(bind_mounts=["/srv/berthday"]), TRUSTED)
    assert "outside" in refusal.message


def test_relative_host_paths_are_refused():
    (refusal,) = check(HostAccess(bind_mounts=["data"]), TRUSTED)
    assert "absolute" in refusal.message


def test_a_trusted_team_may_use_host_features():
    access = HostAccess(
        privileged=True, network_mode="host", cap_add=["NET_ADMIN"], host_ports=[80]
    )
    assert check(access, TRUSTED) == []


def test_enforce_raises_errors_keyed_by_field():
    with pytest.raises(ValidationError) as excinfo:
        enforce(
            HostAccess(privileged=True, cap_add=["SYS_PTRACE"]), UNTRUSTED, prefix="services.web"
        )
    assert set(excinfo.value.message_dict) == {"services.web.privileged", "services.web.cap_add"}


@pytest.mark.parametrize("text", ["abc", "0-10", "20-10", "1-70000"])
def test_bad_port_ranges_are_refused(text):
    with pytest.raises(ValueError, match="range"):
        parse_port_range(text)
