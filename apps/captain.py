"""CapRover's ``captain-definition`` (schemaVersion 2), so CapRover apps move over unchanged.

Exactly one of ``imageName`` (run that image), ``dockerfileLines`` (build from
these lines) or ``dockerfilePath`` (build the Dockerfile at this path of the
uploaded source) must be given. ``templateId`` (CapRover's language templates)
is not supported and says so.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from apps.validation import clean_image

MAX_DEFINITION = 64 * 1024
MAX_LINES = 2000


class DefinitionError(ValidationError):
    def __init__(self, message: str) -> None:
        super().__init__({"definition": f"captain-definition: {message}"})


@dataclass(frozen=True)
class Definition:
    image: str = ""
    dockerfile_lines: tuple[str, ...] = ()
    dockerfile_path: str = ""

    @property
    def needs_build(self) -> bool:
        return not self.image

    def dockerfile_text(self) -> str:
        return "\n".join(self.dockerfile_lines) + "\n"


def clean_relative_path(value: str) -> str:
    """A path inside the build context; absolute paths and ``..`` are refused."""
    if not value or "\x00" in value or value.startswith("/") or "\\" in value:
        raise DefinitionError(f"dockerfilePath {value!r} must be a relative path in the source.")
    normal = posixpath.normpath(value)
    if normal == ".." or normal.startswith("../") or normal == ".":
        raise DefinitionError(f"dockerfilePath {value!r} leaves the source folder.")
    return normal


def parse(text: str | bytes) -> Definition:
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError:
            raise DefinitionError("the file is not UTF-8 text.") from None
    if len(text) > MAX_DEFINITION:
        raise DefinitionError("the file is larger than 64 KB.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    if not isinstance(data, dict):
        raise DefinitionError("expected a JSON object.")
    version = data.get("schemaVersion")
    if version != 2:
        raise DefinitionError(f"schemaVersion must be 2, got {json.dumps(version)}.")
    if "templateId" in data:
        raise DefinitionError("templateId is not supported; use dockerfileLines instead.")
    given = [key for key in ("imageName", "dockerfileLines", "dockerfilePath") if key in data]
    if len(given) != 1:
        raise DefinitionError(
            "give exactly one of imageName, dockerfileLines or dockerfilePath"
            + (f" (got {', '.join(given)})." if given else ".")
        )
    key = given[0]
    value = data[key]
    if key == "imageName":
        try:
            return Definition(image=clean_image(value))
        except ValidationError as exc:
            raise DefinitionError(f"imageName: {exc.messages[0]}") from None
    if key == "dockerfileLines":
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(line, str) for line in value)
        ):
            raise DefinitionError("dockerfileLines must be a non-empty list of strings.")
        if len(value) > MAX_LINES:
            raise DefinitionError(f"dockerfileLines has more than {MAX_LINES} lines.")
        if any("\n" in line or "\r" in line for line in value):
            raise DefinitionError("each of dockerfileLines must be a single line.")
        return Definition(dockerfile_lines=tuple(value))
    if not isinstance(value, str):
        raise DefinitionError("dockerfilePath must be a string.")
    return Definition(dockerfile_path=clean_relative_path(value))
