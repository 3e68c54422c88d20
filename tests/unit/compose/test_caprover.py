"""CapRover one-click templates (captainVersion 4) go through the same path as compose files."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.compose import services
from apps.compose.models import Stack, StackService
from apps.models import App

pytestmark = pytest.mark.django_db

TEMPLATE = r"""
captainVersion: 4
services:
    $$cap_appname-db:
        image: mysql:$$cap_mysql_version
        volumes:
            - $$cap_appname-db-data:/var/lib/mysql
        restart: always
        environment:
            MYSQL_ROOT_PASSWORD: $$cap_db_pass
        caproverExtra:
            notExposeAsWebApp: 'true'
    $$cap_appname:
        depends_on:
            - $$cap_appname-db
        image: wordpress:$$cap_wp_version
        restart: always
        environment:
            WORDPRESS_DB_HOST: srv-captain--$$cap_appname-db:3306
            WORDPRESS_DB_PASSWORD: $$cap_db_pass
            WORDPRESS_URL: https://$$cap_appname.$$cap_root_domain
        caproverExtra:
            containerHttpPort: '8080'
caproverOneClickApp:
    variables:
        - id: $$cap_mysql_version
          label: MySQL Version
          defaultValue: '5.7'
          validRegex: /^([^\s^\/])+$/
        - id: $$cap_wp_version
          label: WordPress Version
        - id: $$cap_db_pass
          label: Database Password
          defaultValue: $$cap_gen_random_hex(16)
    instructions: {start: Hello, end: Done}
    displayName: WordPress
"""


def apply(people: Any, *, variables: dict[str, str], existing: Stack | None = None) -> Stack:
    return services.apply_stack(
        team=people.team,
        principal=people.principal("developer"),
        name="blog",
        compose=TEMPLATE,
        variables=variables,
        existing=existing,
    )


def test_a_template_becomes_a_stack_with_a_stable_generated_password(people):
    stack = apply(people, variables={"cap_wp_version": "6.4"})

    rows = {r.service: r for r in StackService.objects.filter(stack=stack)}
    assert list(rows) == ["db", "app"]
    app = App.objects.get(name="blog-app")
    db = App.objects.get(name="blog-db")
    assert rows["app"].spec["image"] == "wordpress:6.4"
    assert rows["db"].spec["image"] == "mysql:5.7"
    assert app.env["WORDPRESS_DB_HOST"] == "db:3306"  # the stack's service name
    assert app.env["WORDPRESS_URL"] == "https://blog.localhost"
    password = app.env["WORDPRESS_DB_PASSWORD"]
    assert re.fullmatch(r"[0-9a-f]{16}", password)
    assert db.env["MYSQL_ROOT_PASSWORD"] == password
    assert (app.internal, app.container_port) == (False, 8080)
    assert db.internal
    assert rows["app"].spec["depends_on"] == {"db": "service_started"}
    assert rows["db"].spec["volumes"] == [
        {"volume": "blog-db-data", "path": "/var/lib/mysql", "read_only": False}
    ]
    assert sorted(services.variables_of(stack)) == [
        "cap_db_pass",
        "cap_mysql_version",
        "cap_wp_version",
    ]

    # A redeploy with the stored variables changes nothing: same password, same digests.
    before = {r.service: r.spec_hash for r in rows.values()}
    again = apply(people, variables=services.variables_of(stack), existing=stack)
    after = {r.service: r.spec_hash for r in StackService.objects.filter(stack=again)}
    assert after == before


def test_a_template_variable_without_value_or_default_is_asked_for(people):
    with pytest.raises(ValidationError) as caught:
        apply(people, variables={})

    assert caught.value.message_dict == {
        "caproverOneClickApp.variables[1]": [
            "Give a value for WordPress Version (variable cap_wp_version)."
        ]
    }
    assert not App.objects.exists()


def test_a_template_value_must_match_its_pattern(people):
    with pytest.raises(ValidationError) as caught:
        apply(people, variables={"cap_wp_version": "6", "cap_mysql_version": "5 7"})

    assert caught.value.message_dict == {
        "caproverOneClickApp.variables[0]": [
            "The value of cap_mysql_version does not match /^([^\\s^\\/])+$/."
        ]
    }
