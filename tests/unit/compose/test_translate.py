"""What a compose service becomes: the app's settings and the extra swarm spec."""

from __future__ import annotations

from apps.compose.translate import digest
from tests.unit.compose.helpers import plan, refusal

FULL = """
services:
  web:
    image: registry.example.com/web:1.4
    entrypoint: /bin/serve
    command: ["--port", "8080"]
    working_dir: /app
    user: "1000"
    environment:
      MODE: prod
      FROM_VARS:
    ports: ["80:8080"]
    healthcheck:
      test: curl -f http://localhost:8080/health
      interval: 5s
      timeout: 2s
      retries: 4
      start_period: 1m30s
    deploy:
      replicas: 3
      resources:
        limits: {cpus: "0.5", memory: 256M}
        reservations: {memory: 64m}
      placement:
        constraints: ["node.labels.disk == ssd"]
      update_config: {parallelism: 1, delay: 10s, order: start-first}
      restart_policy: {condition: on-failure, max_attempts: 3}
      labels: {team: web}
    labels: {com.example.tier: front}
    networks:
      front:
        aliases: [www]
    secrets:
      - source: key
        target: api_key
        mode: 0400
    configs: [site]
    x-berth:
      domains: [shop.example.com]
networks:
  front: {}
secrets:
  key: {environment: API_KEY}
configs:
  site: {content: "hello"}
"""


def test_a_full_service_translates_to_settings_and_spec():
    result = plan(FULL, variables={"FROM_VARS": "v", "API_KEY": "k-123"})
    (web,) = result.services

    assert web.app == "shop-web"
    assert web.image == "registry.example.com/web:1.4"
    assert web.settings == {
        "instances": 3,
        "container_port": 8080,
        "env": {"MODE": "prod", "FROM_VARS": "v"},
        "health_check_path": "",
        "cpu_limit": 0.5,
        "cpu_reservation": None,
        "memory_limit_mb": 256,
        "memory_reservation_mb": 64,
        "internal": False,
        "placement": {},
    }
    assert web.domains == ("shop.example.com",)
    compose = web.compose
    assert compose["apps_network"] is True
    assert compose["networks"] == [
        {"name": "berth-stack-shop_front", "aliases": ["web", "www"], "internal": False}
    ]
    assert compose["container"] == {
        "Command": ["/bin/serve"],
        "Args": ["--port", "8080"],
        "Dir": "/app",
        "User": "1000",
        "Labels": {"com.example.tier": "front"},
        "Healthcheck": {
            "Test": ["CMD-SHELL", "curl -f http://localhost:8080/health"],
            "Interval": 5_000_000_000,
            "Timeout": 2_000_000_000,
            "Retries": 4,
            "StartPeriod": 90_000_000_000,
            "StartInterval": 250_000_000,
        },
    }
    assert compose["template"] == {
        "RestartPolicy": {"Condition": "on-failure", "MaxAttempts": 3},
        "Placement": {"Constraints": ["node.labels.disk == ssd"]},
    }
    assert compose["service_spec"] == {
        "UpdateConfig": {"Parallelism": 1, "Delay": 10_000_000_000, "Order": "start-first"},
        "RollbackConfig": {"Order": "start-first"},
        "Labels": {"team": "web"},
    }
    secret_name = "berth-stack-shop_key_" + digest("k-123")[:10]
    assert compose["secrets"] == [
        {
            "engine_name": secret_name,
            "file": {"Name": "api_key", "UID": "0", "GID": "0", "Mode": 0o400},
        }
    ]
    assert compose["configs"][0]["file"] == {"Name": "/site", "UID": "0", "GID": "0", "Mode": 0o444}
    # The contents travel apart from the spec (the secret's is encrypted at rest).
    assert {(f.kind, f.name, f.content) for f in result.files} == {
        ("secret", "key", "k-123"),
        ("config", "site", "hello"),
    }
    assert "k-123" not in str(web)


def test_services_come_dependencies_first_and_only_http_is_routed():
    result = plan(
        "services:\n"
        "  web: {image: x, depends_on: {api: {condition: service_healthy}}, x-berth: {http_port: 3000}}\n"
        "  api: {image: x, depends_on: [db], ports: [{target: 8000, published: 8000, app_protocol: http}]}\n"
        "  db: {image: x, expose: ['5432']}\n"
    )

    assert [s.service for s in result.services] == ["db", "api", "web"]
    db, api, web = result.services
    assert web.depends_on == {"api": "service_healthy"}
    assert api.depends_on == {"db": "service_started"}
    assert (web.settings["container_port"], web.settings["internal"]) == (3000, False)
    assert (api.settings["container_port"], api.settings["internal"]) == (8000, False)
    assert api.compose["service_spec"] == {}  # routed by the gateway, not published on the host
    assert db.settings["internal"] is True
    assert db.compose["apps_network"] is False  # only on the stack's own network


def test_expose_false_keeps_an_http_service_internal():
    result = plan("services:\n  admin: {image: x, x-berth: {http_port: 80, expose: false}}\n")

    assert result.services[0].settings["internal"] is True


def test_a_named_volume_is_a_berth_volume_of_the_team():
    result = plan(
        "services:\n  db: {image: x, volumes: ['data:/var/lib/db:ro']}\nvolumes:\n  data: {}\n"
    )

    assert result.volumes["data"]["volume"] == "shop-data"
    assert result.services[0].volumes == (
        {"volume": "shop-data", "path": "/var/lib/db", "read_only": True},
    )
    assert result.services[0].compose["mounts"] == []


def test_a_volume_name_must_make_a_team_volume_name():
    errors = refusal(
        "services:\n  db: {image: x, volumes: ['Data.1:/d']}\nvolumes:\n  Data.1: {}\n"
    )

    assert errors == {
        "volumes.Data.1": [
            "It becomes the team's volume 'shop-Data.1': use lowercase letters, digits, '-' or "
            "'_' (at most 63 characters in all)."
        ]
    }


def test_digests_change_only_for_the_changed_service():
    text = "services:\n  a: {image: x, environment: {V: '${V}'}}\n  b: {image: y}\n"
    first = {s.service: s.digest for s in plan(text, variables={"V": "1"}).services}
    again = {s.service: s.digest for s in plan(text, variables={"V": "1"}).services}
    changed = {s.service: s.digest for s in plan(text, variables={"V": "2"}).services}

    assert first == again
    assert changed["b"] == first["b"]
    assert changed["a"] != first["a"]


def test_builds_read_their_context_and_env_files_from_the_upload(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile.prod").write_text("FROM scratch\n")
    (tmp_path / "api.env").write_text("A=1\nB=2\n")
    text = (
        "services:\n  api:\n    build: {context: ./api, dockerfile: Dockerfile.prod}\n"
        "    env_file: api.env\n    environment: {B: three}\n"
    )

    (api,) = plan(text, root=tmp_path).services
    assert api.image == ""
    assert api.build is not None
    assert api.build == {
        "context": "api",
        "dockerfile": "Dockerfile.prod",
        "digest": api.build["digest"],
    }
    assert api.settings["env"] == {"A": "1", "B": "three"}

    (tmp_path / "api" / "main.py").write_text("print(1)\n")
    (changed,) = plan(text, root=tmp_path).services
    assert changed.build is not None
    assert changed.build["digest"] != api.build["digest"]
    assert changed.digest != api.digest


def test_a_build_without_an_upload_asks_for_one():
    assert refusal("services:\n  api:\n    build: .\n") == {
        "services.api.build": [
            "Building needs the source: upload a tarball holding the compose file and the "
            "build context."
        ]
    }


def test_files_never_leave_the_upload(tmp_path):
    assert refusal("services:\n  a: {image: x, env_file: ../../etc/passwd}\n", root=tmp_path) == {
        "services.a.env_file[0]": ["'../../etc/passwd' leaves the upload's folder."]
    }
    assert refusal(
        "services:\n  a: {image: x, secrets: [s]}\nsecrets:\n  s: {file: /etc/shadow}\n",
        root=tmp_path,
    ) == {"secrets.s.file": ["'/etc/shadow' must be a relative path inside the upload."]}
    (tmp_path / "link").symlink_to("/etc")
    assert refusal(
        "services:\n  a: {image: x, secrets: [s]}\nsecrets:\n  s: {file: link/hostname}\n",
        root=tmp_path,
    ) == {"secrets.s.file": ["'link/hostname' leaves the upload's folder."]}


def test_reserved_labels_and_bad_constraints_are_refused():
    errors = refusal(
        "services:\n  a:\n    image: x\n    labels: {berth.app: other}\n"
        "    deploy: {placement: {constraints: ['node.role = manager']}}\n"
    )

    assert errors == {
        "services.a.labels": ["Labels starting with berth. are Berth's (berth.app)."],
        "services.a.deploy.placement.constraints[0]": [
            "'node.role = manager' is not a constraint such as node.labels.disk == ssd."
        ],
    }
