"""The installation's settings: what the operator set, kept in install.env, passed on."""

from __future__ import annotations

import stat

import pytest

from paas.production import config
from paas.production.config import ConfigError, Settings


def test_it_keeps_berth_settings_and_the_database_url_but_not_host_paths_or_test_variables():
    found = config.operator_settings(
        {
            "BERTH_ROOT_DOMAIN": "example.com",
            "DATABASE_URL": "postgres://db/berth",
            "BERTH_DATA_DIR": "/srv/berth",
            "BERTH_GATEWAY_HOST_DIR": "/srv/berth/gateway",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "BERTH_TEST_WEB_IMAGE": "x",
            "BERTH_TOKEN": "client token",
            "HOME": "/root",
        }
    )
    assert found == {"BERTH_ROOT_DOMAIN": "example.com", "DATABASE_URL": "postgres://db/berth"}


def test_a_file_variable_is_refused_because_the_services_cannot_read_the_hosts_file():
    with pytest.raises(ConfigError, match="BERTH_SECRET_KEY_FILE"):
        config.operator_settings({"BERTH_SECRET_KEY_FILE": "/etc/berth/key"})


def test_what_is_set_again_wins_over_what_was_saved():
    settings = Settings.merge(
        {"BERTH_ROOT_DOMAIN": "old.example", "BERTH_NAMESPACE": "prod"},
        {"BERTH_ROOT_DOMAIN": "new.example"},
    )
    assert settings.values["BERTH_ROOT_DOMAIN"] == "new.example"
    assert settings.namespace == "prod"
    assert settings.get("BERTH_WORKER_POOL") == "threads"
    assert settings.to_save() == {"BERTH_ROOT_DOMAIN": "new.example", "BERTH_NAMESPACE": "prod"}


def test_install_env_is_private_and_reads_back(tmp_path):
    path = config.write_saved(tmp_path, {"BERTH_ACME_EMAIL": "ops@example.com", "X": "a=b # c"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.read_saved(tmp_path) == {"BERTH_ACME_EMAIL": "ops@example.com", "X": "a=b # c"}


def test_a_value_spanning_lines_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="span lines"):
        config.write_saved(tmp_path, {"BERTH_ACME_EMAIL": "a\nBERTH_DEBUG=true"})


def test_the_services_get_the_settings_but_not_the_installs_own_knobs():
    settings = Settings.merge({}, {"BERTH_ROOT_DOMAIN": "example.com", "BERTH_IMAGE": "x:1"})
    env = settings.service_environment()
    assert env["BERTH_ROOT_DOMAIN"] == "example.com"
    assert env["BERTH_NAMESPACE"] == "berth"
    assert "BERTH_IMAGE" not in env
    assert "BERTH_WORKER_POOL" not in env
    # Default ports: a browser's Origin has no port, nothing to add.
    assert "BERTH_CSRF_TRUSTED_ORIGINS" not in env


def test_other_gateway_ports_make_the_portal_origin_trusted():
    settings = Settings.merge(
        {},
        {
            "BERTH_ROOT_DOMAIN": "example.com",
            "BERTH_GATEWAY_HTTP_PORT": "8080",
            "BERTH_GATEWAY_HTTPS_PORT": "8443",
        },
    )
    assert settings.service_environment()["BERTH_CSRF_TRUSTED_ORIGINS"] == (
        "http://berth.example.com:8080,https://berth.example.com:8443"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BERTH_NAMESPACE", "Prod", "BERTH_NAMESPACE"),
        ("BERTH_NAMESPACE", "a" * 21, "BERTH_NAMESPACE"),
        ("BERTH_WORKER_POOL", "gevent", "BERTH_WORKER_POOL"),
        ("BERTH_WEB_THREADS", "0", "BERTH_WEB_THREADS"),
        ("BERTH_WEB_THREADS", "4", r"BERTH_LOG_FOLLOW_LIMIT \(4\) must be below BERTH_WEB_THREADS"),
        ("BERTH_HOST_DOCKER_SOCKET", "docker.sock", "absolute path"),
    ],
)
def test_it_refuses_values_the_stack_cannot_run_with(name, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.merge({}, {name: value}).check()


def test_the_web_health_check_stays_allowed_when_the_operator_names_the_hosts():
    settings = Settings.merge({}, {"BERTH_ALLOWED_HOSTS": "berth.example.com"})
    assert settings.service_environment()["BERTH_ALLOWED_HOSTS"] == "berth.example.com,127.0.0.1"
    assert "BERTH_ALLOWED_HOSTS" not in Settings.merge({}, {}).service_environment()
