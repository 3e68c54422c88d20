"""One class of invalid compose file per test, each with its exact message and key path."""

from __future__ import annotations

from tests.unit.compose.helpers import plan, refusal


def test_a_wrong_type_names_the_key_path():
    errors = refusal("services:\n  web:\n    image: x\n    ports: '80:80'\n")

    assert errors == {"services.web.ports": ["Expected a list, got text."]}


def test_a_bad_port_names_its_index():
    errors = refusal("services:\n  web:\n    image: x\n    ports: ['80:80', 'eighty']\n")

    assert errors == {"services.web.ports[1]": ["'eighty' is not a port such as 8080:80 or 80."]}


def test_every_problem_is_listed_at_once():
    errors = refusal(
        "services:\n  web:\n    image: x\n    deploy: {replicas: -1}\n"
        "  api:\n    healthcheck: {test: 5}\n"
    )

    assert errors == {
        "services.web.deploy.replicas": ["Expected a whole number from 0 to 50."],
        "services.api": ["A service needs an image or a build."],
        "services.api.healthcheck.test": ["Expected a list, got a number."],
    }


def test_unsupported_keys_are_listed_by_name():
    errors = refusal(
        "services:\n  web:\n    image: x\n    container_name: web1\n    logging: {driver: x}\n"
        "include: [other.yaml]\n"
    )

    assert errors == {
        "include": [
            "include is not supported by Berth; remove it, or pass ignore_unsupported "
            "to skip it with a warning."
        ],
        "services.web.container_name": [
            "container_name is not supported by Berth (names are Berth's: the app is "
            "<stack>-<service>); remove it, or pass ignore_unsupported to skip it with a warning."
        ],
        "services.web.logging": [
            "logging is not supported by Berth; remove it, or pass ignore_unsupported "
            "to skip it with a warning."
        ],
    }


def test_unsupported_keys_become_warnings_when_asked():
    result = plan(
        "services:\n  web:\n    image: x\n    container_name: web1\n", ignore_unsupported=True
    )

    assert result.warnings == [
        "services.web.container_name is not supported by Berth and was ignored."
    ]
    assert [s.app for s in result.services] == ["shop-web"]


def test_extension_keys_are_ignored_silently():
    result = plan("x-common: &c {image: x}\nservices:\n  web:\n    <<: *c\n    x-note: hi\n")

    assert result.warnings == []
    assert result.services[0].image == "x"


def test_a_service_name_must_fit_a_hostname():
    errors = refusal("services:\n  My_Web:\n    image: x\n")

    assert errors == {
        "services.My_Web": [
            "Service names become app names: use lowercase letters, digits and hyphens."
        ]
    }


def test_unknown_references_are_named():
    errors = refusal(
        "services:\n  web:\n    image: x\n    depends_on: [db]\n    networks: [back]\n"
        "    volumes: ['data:/data']\n    secrets: [pw]\n"
    )

    assert errors == {
        "services.web.depends_on.db": ["There is no service 'db'."],
        "services.web.networks.back": ["There is no network 'back' under networks."],
        "services.web.volumes[0]": ["There is no volume 'data' under volumes."],
        "services.web.secrets[0]": ["There is no secret 'pw' under secrets."],
    }


def test_a_dependency_cycle_is_shown():
    errors = refusal(
        "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n"
        "  c: {image: x, depends_on: [a]}\n"
    )

    assert errors == {"services": ["depends_on has a cycle: a -> b -> c -> a."]}


def test_one_shot_dependencies_are_refused():
    errors = refusal(
        "services:\n  a: {image: x}\n  b:\n    image: x\n    depends_on:\n"
        "      a: {condition: service_completed_successfully}\n"
    )

    assert errors == {
        "services.b.depends_on.a.condition": [
            "'service_completed_successfully' is not supported; use service_started or "
            "service_healthy."
        ]
    }


def test_global_services_and_external_objects_are_refused():
    errors = refusal(
        "services:\n  a:\n    image: x\n    deploy: {mode: global}\n"
        "secrets:\n  pw: {external: true}\n"
    )

    assert errors == {
        "secrets.pw.external": ["A stack cannot use secrets or configs outside it."],
        "services.a.deploy.mode": ["Only replicated services are supported (not global)."],
    }


def test_an_app_name_too_long_for_a_hostname_is_refused():
    errors = refusal("services:\n  " + "s" * 60 + ":\n    image: x\n")

    assert list(errors) == ["services." + "s" * 60]
    assert "Use at most 63 characters" in errors["services." + "s" * 60][0]
