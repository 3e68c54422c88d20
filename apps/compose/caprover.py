"""CapRover one-click app templates (``captainVersion: 4``) as compose files.

The template's services become the stack's: ``$$cap_appname`` is the stack's
name, the main service (named ``$$cap_appname``) is called ``app`` and the
others lose the ``$$cap_appname-`` prefix; ``srv-captain--<service>`` host
names become the service names the stack's network resolves. ``$$cap_*``
variables take the values given, else their ``defaultValue`` (where
``$$cap_gen_random_hex(N)`` makes N random hex characters once: the value is
stored with the stack's variables, so a redeploy keeps the same password).
``caproverExtra`` maps to ``x-berth``. The result goes through the same
validation, policy and translation as any compose file.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

import yaml
from django.conf import settings

from apps.compose.parse import ComposeError, join

VARIABLE_RE = re.compile(r"\$\$cap_([A-Za-z0-9_]+)")
RANDOM_RE = re.compile(r"\$\$cap_gen_random_hex\((\d{1,3})\)")
APP = "$$cap_appname"
MAIN_SERVICE = "app"


def is_template(data: Mapping[str, Any]) -> bool:
    return "captainVersion" in data


def _random(text: str) -> str:
    return RANDOM_RE.sub(
        lambda m: secrets.token_hex((int(m.group(1)) + 1) // 2)[: int(m.group(1))], text
    )


def _variables(
    data: Mapping[str, Any], given: Mapping[str, str], stack: str
) -> tuple[dict[str, str], dict[str, list[str]]]:
    meta = data.get("caproverOneClickApp") or {}
    declared = meta.get("variables") if isinstance(meta, dict) else None
    values = {"appname": stack, "root_domain": str(settings.BERTH_ROOT_DOMAIN)}
    errors: dict[str, list[str]] = {}
    for index, entry in enumerate(declared or []):
        path = join("caproverOneClickApp.variables", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            errors[path] = ["Each variable needs an id such as $$cap_db_password."]
            continue
        name = entry["id"].removeprefix("$$cap_")
        if name in given:
            value = given[name]
        elif entry.get("defaultValue") is not None:
            value = _random(str(entry["defaultValue"]))
        else:
            label = entry.get("label") or name
            errors[path] = [f"Give a value for {label} (variable cap_{name})."]
            continue
        pattern = entry.get("validRegex")
        if isinstance(pattern, str) and pattern.startswith("/") and pattern.count("/") >= 2:
            body = pattern[1 : pattern.rindex("/")]
            try:
                valid = re.search(body, value) is not None
            except re.error:
                valid = True  # a JavaScript-only pattern: CapRover's own check, not ours
            if not valid:
                errors[path] = [f"The value of cap_{name} does not match {pattern}."]
        values[name] = value
    return values, errors


def convert(
    text_data: Mapping[str, Any], *, stack: str, variables: Mapping[str, str]
) -> tuple[str, dict[str, str]]:
    """The compose text of a template, and the variables it used (generated ones included)."""
    data = dict(text_data)
    if str(data.get("captainVersion")) != "4":
        raise ComposeError({"captainVersion": ["Only captainVersion 4 templates are supported."]})
    given = {key.removeprefix("cap_"): value for key, value in variables.items()}
    values, errors = _variables(data, given, stack)
    raw_services = data.get("services")
    services: dict[str, Any] = raw_services if isinstance(raw_services, dict) else {}
    if not services:
        errors["services"] = ["A template needs services."]
    if errors:
        raise ComposeError(errors)
    names = {}
    for key in services:
        key = str(key)
        if key == APP:
            names[key] = MAIN_SERVICE
        elif key.startswith(APP + "-"):
            names[key] = key[len(APP) + 1 :]
        else:
            names[key] = key
    # Longest first: srv-captain--$$cap_appname-db before srv-captain--$$cap_appname.
    hosts = sorted(names, key=len, reverse=True)

    def text(value: str, path: str) -> str:
        for key in hosts:
            value = value.replace(f"srv-captain--{key}", names[key])
        value = RANDOM_RE.sub(lambda m: _random(m.group(0)), value)

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise ComposeError({path: [f"The variable $$cap_{name} is not declared."]})
            return values[name]

        value = VARIABLE_RE.sub(variable, value)
        return value.replace("$", "$$")  # the compose reader interpolates: keep $ literal

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, str):
            return text(node, path)
        if isinstance(node, dict):
            return {key: walk(value, join(path, key)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value, join(path, index)) for index, value in enumerate(node)]
        return node

    out_services: dict[str, Any] = {}
    volumes: dict[str, Any] = {}
    for key, service in services.items():
        path = join("services", key)
        if not isinstance(service, dict):
            raise ComposeError({path: ["Expected a mapping."]})
        raw_depends = service.get("depends_on")
        service = dict(service)
        if isinstance(service.get("volumes"), list):
            # The stack's name prefixes its volumes already: "$$cap_appname-db-data" is "db-data".
            service["volumes"] = [
                m[len(APP) + 1 :] if isinstance(m, str) and m.startswith(APP + "-") else m
                for m in service["volumes"]
            ]
        service = walk(service, path)
        extra = service.pop("caproverExtra", None) or {}
        berth: dict[str, Any] = {}
        if "containerHttpPort" in extra:
            berth["http_port"] = int(str(extra["containerHttpPort"]))
        if str(extra.get("notExposeAsWebApp", "")).lower() == "true":
            berth["expose"] = False
        elif names[str(key)] == MAIN_SERVICE or "containerHttpPort" in extra:
            berth.setdefault("http_port", 80)
        if "dockerfileLines" in extra:
            raise ComposeError(
                {
                    join(path, "caproverExtra.dockerfileLines"): [
                        "Building from dockerfileLines is not supported in templates yet."
                    ]
                }
            )
        if berth:
            service["x-berth"] = berth
        if isinstance(raw_depends, list):
            service["depends_on"] = [
                names.get(str(d)) or text(str(d), join(path, "depends_on")) for d in raw_depends
            ]
        for mount in service.get("volumes") or []:
            source = mount.split(":", 1)[0] if isinstance(mount, str) else ""
            if source and ":" in mount and not source.startswith(("/", ".", "~")):
                volumes[source] = {}
        out_services[names[str(key)]] = service
    compose: dict[str, Any] = {"services": out_services}
    if volumes:
        compose["volumes"] = volumes
    used = {k: v for k, v in values.items() if k not in ("appname", "root_domain")}
    return yaml.safe_dump(compose, sort_keys=False), {f"cap_{k}": v for k, v in used.items()}
