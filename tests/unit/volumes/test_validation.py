"""What users may ask of volumes and mounts, and the words when they may not."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.volumes import validation


def message(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


@pytest.mark.parametrize("name", ["data", "db_data", "a", "shop-uploads-2", "x" * 63])
def test_it_accepts_plain_names(name):
    assert validation.clean_name(name) == name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "Give the volume a name"),
        ("Data", "lowercase"),
        ("-data", "starting and ending"),
        ("data_", "starting and ending"),
        ("da ta", "lowercase letters, digits"),
        ("da/ta", "lowercase letters, digits"),
        ("x" * 64, "at most 63"),
        (7, "Give the volume a name"),
    ],
)
def test_it_rejects_bad_names(name, words):
    with pytest.raises(ValidationError) as exc:
        validation.clean_name(name)
    assert words in message(exc)
    assert "name" in exc.value.message_dict


def test_the_driver_defaults_to_local_and_takes_plugin_names():
    assert validation.clean_driver(None) == "local"
    assert validation.clean_driver("") == "local"
    assert validation.clean_driver("vieux/sshfs:latest") == "vieux/sshfs:latest"


@pytest.mark.parametrize("driver", ["Local", "local;rm", "a b", "../x", 5])
def test_it_rejects_driver_names_that_are_not_names(driver):
    with pytest.raises(ValidationError) as exc:
        validation.clean_driver(driver)
    assert "driver" in exc.value.message_dict


def test_nfs_and_tmpfs_options_of_the_local_driver_pass():
    nfs = {"type": "nfs", "o": "addr=10.0.0.5,rw,nfsvers=4", "device": ":/export/data"}
    tmpfs = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}

    assert validation.clean_driver_options("local", nfs, trusted=False) == nfs
    assert validation.clean_driver_options("local", tmpfs, trusted=False) == tmpfs


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"type": "nfs", "size": "1"}, "knows only type, o and device"),
        ({"o": "size=1m"}, "Give the type"),
        ({"type": "nfs", "o": "addr=10.0.0.5"}, "needs device="),
        ({"type": "tmpfs", "o": "size=1m\nrw"}, "line break"),
        ({"type": "tmpfs", "device": "tmpfs\x00"}, "control character"),
        ({"type": "nfs;x", "device": ":/e"}, "not a file system type"),
        ({"ty pe": "nfs"}, "not an option name"),
        ({"type": ["nfs"]}, "must be text"),
        ("type=nfs", "object of key: value"),
    ],
)
def test_it_rejects_local_options_the_driver_would_not_take(options, words):
    with pytest.raises(ValidationError) as exc:
        validation.clean_driver_options("local", options, trusted=False)
    assert words in message(exc)


def test_a_plugins_own_options_pass_unjudged_but_still_plain():
    options = {"sshcmd": "user@host:/data", "allow_other": ""}

    assert validation.clean_driver_options("vieux/sshfs", options, trusted=False) == options
    with pytest.raises(ValidationError):
        validation.clean_driver_options("vieux/sshfs", {"sshcmd": "a\nb"}, trusted=False)


def test_a_bind_in_disguise_is_refused_for_an_untrusted_team(settings):
    settings.BERTH_BIND_PREFIXES = ["/srv/berth"]
    options = {"type": "none", "o": "bind", "device": "/etc"}

    with pytest.raises(ValidationError) as exc:
        validation.clean_driver_options("local", options, trusted=False)

    assert "trusts" in message(exc)


def test_a_bind_in_disguise_follows_the_prefixes_for_a_trusted_team(settings):
    settings.BERTH_BIND_PREFIXES = ["/srv/berth"]
    inside = {"type": "none", "o": "rw,rbind", "device": "/srv/berth/shop"}
    outside = {"type": "none", "o": "bind", "device": "/var/lib/docker"}

    assert validation.clean_driver_options("local", inside, trusted=True) == inside
    with pytest.raises(ValidationError) as exc:
        validation.clean_driver_options("local", outside, trusted=True)
    assert "outside the allowed prefixes" in message(exc)


def test_a_host_block_device_needs_a_trusted_team():
    options = {"type": "ext4", "device": "/dev/sdb1"}

    with pytest.raises(ValidationError) as exc:
        validation.clean_driver_options("local", options, trusted=False)

    assert "Host devices" in message(exc)
    assert validation.clean_driver_options("local", options, trusted=True) == options


def test_labels_are_plain_and_not_berths_own():
    assert validation.clean_labels({"backup": "nightly"}) == {"backup": "nightly"}
    for bad in ({"berth.namespace": "x"}, {"com.docker.x": "y"}, {"a b": "c"}, {"k": "v\n"}):
        with pytest.raises(ValidationError) as exc:
            validation.clean_labels(bad)
        assert "labels" in exc.value.message_dict


@pytest.mark.parametrize("path", ["/data", "/var/lib/postgresql/data", "/srv/app_files"])
def test_it_accepts_absolute_container_paths(path):
    assert validation.clean_path(path) == path


def test_a_trailing_slash_is_tidied():
    assert validation.clean_path("/data/") == "/data"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("", "Give the path"),
        ("data", "absolute"),
        ("/", "whole file system"),
        ("/data/../etc", "without . or .."),
        ("//data", "without . or .."),
        ("/my data", "no spaces"),
        ("/a,b", "no spaces or commas"),
        ("/proc", "container runtime"),
        ("/sys/fs", "container runtime"),
        ("/run/secrets", "container runtime"),
    ],
)
def test_it_rejects_container_paths_a_mount_cannot_take(path, words):
    with pytest.raises(ValidationError) as exc:
        validation.clean_path(path)
    assert words in message(exc)


def test_host_paths_go_through_the_policy(settings):
    settings.BERTH_BIND_PREFIXES = ["/srv/berth"]

    with pytest.raises(ValidationError) as untrusted:
        validation.clean_host_path("/srv/berth/x", trusted=False)
    with pytest.raises(ValidationError) as socket:
        validation.clean_host_path("/var/run/docker.sock", trusted=False)
    with pytest.raises(ValidationError) as outside:
        validation.clean_host_path("/etc", trusted=True)

    assert "trusts" in message(untrusted)
    assert "Docker socket" in message(socket)
    assert "outside the allowed prefixes" in message(outside)
    assert validation.clean_host_path("/srv/berth/x/../y", trusted=True) == "/srv/berth/y"


def test_credentials_in_options_are_masked_when_shown():
    options = {"type": "cifs", "o": "addr=nas,username=bob,password=hunter2", "device": "//nas/s"}

    shown = validation.masked_options(options)

    assert "hunter2" not in str(shown)
    assert shown["o"] == f"addr=nas,username=bob,password={validation.MASK}"
    assert validation.masked_options({"password": "x"}) == {"password": validation.MASK}
