"""Node labels an operator may set, checked the same way by the portal, admin and API.

Apps are placed by these labels (``node.labels.<key>==<value>``), so keys must
survive a placement constraint: no spaces, no ``==``/``!=``. Labels swarm or
Berth set themselves (``com.docker.*``, ``berth.*``) are not the operator's.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

KEY_PATTERN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
VALUE_PATTERN = re.compile(r"^[A-Za-z0-9._:/@+-]{0,200}$")
RESERVED_PREFIXES = ("com.docker.", "io.docker.", "org.dockerproject.", "berth.")
MAX_LABELS = 50


def label_problems(labels: Any) -> list[str]:
    """What is wrong with ``labels`` (a dict of key -> value), in words; empty when fine."""
    if not isinstance(labels, dict):
        return ["Labels must be an object of key: value pairs."]
    problems = []
    if len(labels) > MAX_LABELS:
        problems.append(f"At most {MAX_LABELS} labels per node.")
    for key, value in labels.items():
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            problems.append(
                f"Label key {key!r}: 1-100 letters, digits, dots, dashes or underscores, "
                "starting and ending with a letter or digit."
            )
        elif key.lower().startswith(RESERVED_PREFIXES):
            problems.append(f"Label key {key!r} is reserved for Docker or Berth.")
        if not isinstance(value, str) or not VALUE_PATTERN.match(value):
            problems.append(
                f"Label {key!r}: the value must be up to 200 letters, digits or ._:/@+- "
                "(no spaces)."
            )
    return problems


def validate_labels(labels: Any) -> dict[str, str]:
    problems = label_problems(labels)
    if problems:
        raise ValidationError({"labels": problems})
    return {str(k): str(v) for k, v in labels.items()}


def parse_labels_text(text: str) -> dict[str, str]:
    """``key=value`` per line (the portal's text area); raises ValidationError on a bad line."""
    labels: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValidationError({"labels": f"Line {number}: write key=value."})
        labels[key.strip()] = value.strip()
    return validate_labels(labels)


def labels_text(labels: dict[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in sorted(labels.items()))
