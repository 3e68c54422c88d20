"""Build contexts for deployments: uploads under the data folder, builds on the engine.

A tarball is checked and extracted when it is uploaded (so a hostile one is
refused in the request), into ``<data>/builds/<random>/``; the worker builds
from there and removes the folder afterwards. Each build gets a unique tag.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

from apps import captain, tarball
from apps.captain import Definition
from paas import naming

GENERATED_DOCKERFILE = ".berth.Dockerfile"


@dataclass(frozen=True)
class BuildPlan:
    context: Path
    dockerfile: str


@dataclass(frozen=True)
class Prepared:
    """What an upload turned into: an image to run, or a folder to build."""

    build_dir: str = ""
    image: str = ""
    definition: str = ""


def builds_root() -> Path:
    return Path(settings.DATA_DIR) / "builds"


def new_build_dir() -> Path:
    path = builds_root() / secrets.token_hex(8)
    path.mkdir(parents=True)
    return path


def remove_build_dir(path: str) -> None:
    if not path:
        return
    folder = Path(path).resolve()
    # Only ever remove what lives under the builds folder.
    if builds_root().resolve() in folder.parents:
        shutil.rmtree(folder, ignore_errors=True)


def limits() -> tarball.Limits:
    return tarball.Limits(
        max_bytes=settings.BERTH_TARBALL_MAX_MB * 1024 * 1024,
        max_files=settings.BERTH_TARBALL_MAX_FILES,
    )


def plan_folder(root: Path) -> tuple[Definition | None, BuildPlan | None]:
    """A captain-definition wins over a bare Dockerfile, as in CapRover."""
    definition_file = root / "captain-definition"
    if definition_file.is_file():
        definition = captain.parse(definition_file.read_bytes())
        if definition.image:
            return definition, None
        if definition.dockerfile_lines:
            (root / GENERATED_DOCKERFILE).write_text(definition.dockerfile_text())
            return definition, BuildPlan(root, GENERATED_DOCKERFILE)
        target = (root / definition.dockerfile_path).resolve()
        if root.resolve() not in target.parents or not target.is_file():
            raise captain.DefinitionError(
                f"dockerfilePath {definition.dockerfile_path!r} is not a file in the source."
            )
        return definition, BuildPlan(root, str(target.relative_to(root.resolve())))
    return None, BuildPlan(root, "Dockerfile")


def prepare_upload(upload: IO[bytes]) -> Prepared:
    """Extract and inspect an uploaded tarball; raises ValidationError for a bad one."""
    dest = new_build_dir()
    try:
        tarball.extract(upload, dest, limits())
        root = tarball.find_root(dest)
        definition, plan = plan_folder(root)
    except BaseException:
        remove_build_dir(str(dest))
        raise
    if plan is None and definition is not None:
        remove_build_dir(str(dest))
        return Prepared(image=definition.image)
    return Prepared(build_dir=str(root))


def prepare_definition(text: str) -> Prepared:
    """A pasted captain-definition: an image, or Dockerfile lines built with no other files."""
    definition = captain.parse(text)
    if definition.image:
        return Prepared(image=definition.image, definition=text)
    if definition.dockerfile_path:
        raise captain.DefinitionError(
            "dockerfilePath needs the source: upload a tarball that contains it."
        )
    dest = new_build_dir()
    (dest / "captain-definition").write_text(text)
    return Prepared(build_dir=str(dest), definition=text)


def image_tag(app_name: str, number: int, deployment_id: int) -> str:
    repository = naming.namespaced("app", app_name).lower()
    return f"{repository}:{number}-{deployment_id}"


def image_labels(app_name: str, deployment_id: int) -> dict[str, str]:
    return naming.labels(
        "image", **{naming.APP_LABEL: app_name, "berth.deployment_id": str(deployment_id)}
    )
