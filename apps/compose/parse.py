"""Reading a compose file: YAML, then variable interpolation as the Compose Specification has it.

``$VAR`` and ``${VAR}`` take the variable's value (empty when unset);
``${VAR:-default}`` / ``${VAR-default}`` a default when it is unset or empty / unset;
``${VAR:?message}`` / ``${VAR?message}`` refuse the file when it is unset or empty / unset;
``${VAR:+other}`` / ``${VAR+other}`` give ``other`` when it is set (and not empty);
``$$`` is a literal ``$``. Defaults may hold further ``${...}``.

Errors carry the path of the value they are in (``services.web.image``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

MAX_COMPOSE_BYTES = 256 * 1024
MAX_NODES = 20_000
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ComposeError(Exception):
    """A refusal: ``errors`` maps the path of each bad key to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = {key: list(messages) for key, messages in errors.items()}


def join(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def load(text: str) -> dict[str, Any]:
    """The YAML document as a mapping; refuses other shapes and oversized files."""
    if len(text.encode()) > MAX_COMPOSE_BYTES:
        raise ComposeError({"compose": ["The compose file is larger than 256 KB."]})
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ComposeError(
            {"compose": [f"Not valid YAML: {exc.problem or exc.context}{where}."]}
        ) from None
    except yaml.YAMLError as exc:
        raise ComposeError({"compose": [f"Not valid YAML: {exc}."]}) from None
    if data is None:
        raise ComposeError({"compose": ["The compose file is empty."]})
    if not isinstance(data, dict):
        raise ComposeError({"compose": ["The compose file must be a mapping with services."]})
    return data


class _Interpolator:
    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = variables
        self.nodes = 0

    def text(self, value: str, path: str) -> str:
        out, _ = self._scan(value, 0, path, stop=None)
        return out

    def _scan(self, value: str, pos: int, path: str, *, stop: str | None) -> tuple[str, int]:
        """Expand from ``pos`` until ``stop`` (a closing brace of a default) or the end."""
        out: list[str] = []
        while pos < len(value):
            char = value[pos]
            if stop is not None and char == stop:
                return "".join(out), pos
            if char != "$":
                out.append(char)
                pos += 1
                continue
            following = value[pos + 1 : pos + 2]
            if following == "$":
                out.append("$")
                pos += 2
            elif following == "{":
                text, pos = self._braced(value, pos + 2, path)
                out.append(text)
            else:
                match = NAME_RE.match(value, pos + 1)
                if match is None:
                    raise ComposeError(
                        {path: [f"Invalid interpolation in {value!r}: write $$ for a literal $."]}
                    )
                out.append(self.variables.get(match.group(), ""))
                pos = match.end()
        if stop is not None:
            raise ComposeError({path: [f"Invalid interpolation in {value!r}: a {{ is not closed."]})
        return "".join(out), pos

    def _braced(self, value: str, pos: int, path: str) -> tuple[str, int]:
        match = NAME_RE.match(value, pos)
        if match is None:
            raise ComposeError(
                {path: [f"Invalid interpolation in {value!r}: expected a variable name after ${{."]}
            )
        name = match.group()
        pos = match.end()
        if pos >= len(value):
            raise ComposeError({path: [f"Invalid interpolation in {value!r}: a {{ is not closed."]})
        if value[pos] == "}":
            return self.variables.get(name, ""), pos + 1
        operator = ""
        for candidate in (":-", ":?", ":+", "-", "?", "+"):
            if value.startswith(candidate, pos):
                operator = candidate
                break
        if not operator:
            raise ComposeError(
                {
                    path: [
                        f"Invalid interpolation in {value!r}: unexpected {value[pos]!r} after {name}."
                    ]
                }
            )
        argument, pos = self._scan(value, pos + len(operator), path, stop="}")
        pos += 1  # the closing brace
        present = name in self.variables
        filled = present and self.variables[name] != ""
        is_set = filled if operator.startswith(":") else present
        kind = operator[-1]
        if kind == "-":
            return (self.variables[name] if is_set else argument), pos
        if kind == "+":
            return (argument if is_set else ""), pos
        if not is_set:
            detail = argument or "it must be set"
            raise ComposeError({path: [f"Variable {name} is required: {detail}"]})
        return self.variables[name], pos

    def walk(self, node: Any, path: str) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ComposeError({"compose": [f"The compose file has more than {MAX_NODES} values."]})
        if isinstance(node, str):
            return self.text(node, path)
        if isinstance(node, dict):
            return {key: self.walk(value, join(path, key)) for key, value in node.items()}
        if isinstance(node, list):
            return [self.walk(value, join(path, index)) for index, value in enumerate(node)]
        return node


def interpolate(data: Any, variables: Mapping[str, str], *, path: str = "") -> Any:
    """``data`` with every string value expanded (keys stay as written)."""
    return _Interpolator(variables).walk(data, path)


def parse(text: str, variables: Mapping[str, str] | None = None) -> dict[str, Any]:
    data = load(text)
    result: dict[str, Any] = interpolate(data, variables or {})
    return result


def parse_env_file(text: str, *, path: str = ".env") -> dict[str, str]:
    """``NAME=value`` lines as in a ``.env`` file: comments, ``export``, quotes."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not NAME_RE.fullmatch(name):
            raise ComposeError({path: [f"Line {number} is not NAME=value."]})
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[name] = value
    return values
