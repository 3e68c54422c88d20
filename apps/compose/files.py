"""An uploaded stack: its tarball extracted (safely), the compose file and .env found in it,
and copies of build contexts for the deployments that build them."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError

from apps import builds, tarball
from apps.builds import GENERATED_DOCKERFILE

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass
class Upload:
    folder: Path  # the extracted archive (removed by :meth:`remove`)
    root: Path  # the folder holding the compose file
    compose: str
    env: str

    def remove(self) -> None:
        builds.remove_build_dir(str(self.folder))


def _find_root(dest: Path) -> Path | None:
    def has_compose(folder: Path) -> bool:
        return any((folder / name).is_file() for name in COMPOSE_NAMES)

    if has_compose(dest):
        return dest
    found = [
        c for c in sorted(dest.iterdir()) if c.is_dir() and not c.is_symlink() and has_compose(c)
    ]
    if len(found) > 1:
        raise ValidationError({"source": "Several folders hold a compose file; keep one."})
    return found[0] if found else None


def extract(upload: IO[bytes], *, compose_given: bool) -> Upload:
    """Extract with the apps' safe extraction; find compose.yaml (unless given) at the top
    or one folder down."""
    dest = builds.new_build_dir()
    try:
        tarball.extract(upload, dest, builds.limits())
        root = _find_root(dest)
        if root is None:
            if not compose_given:
                raise ValidationError(
                    {
                        "source": "No compose.yaml (or docker-compose.yml) at the archive's top or one folder down."
                    }
                )
            entries = [c for c in dest.iterdir()]
            root = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
        text = ""
        for name in COMPOSE_NAMES:
            if (root / name).is_file():
                text = (root / name).read_text(errors="replace")
                break
        env_file = root / ".env"
        env = (
            env_file.read_text(errors="replace")
            if env_file.is_file() and not env_file.is_symlink()
            else ""
        )
    except BaseException:
        builds.remove_build_dir(str(dest))
        raise
    return Upload(folder=dest, root=root, compose=text, env=env)


def copy_context(root: Path, context: str, dockerfile: str) -> str:
    """A build folder of its own for one service's deployment (the pipeline removes it)."""
    source = (root / context).resolve()
    target = builds.new_build_dir()
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    # The compose file says which Dockerfile: a captain-definition in the context must not win.
    (target / "captain-definition").unlink(missing_ok=True)
    if dockerfile != "Dockerfile":
        definition = {"schemaVersion": 2, "dockerfilePath": dockerfile}
        (target / "captain-definition").write_text(json.dumps(definition))
    (target / GENERATED_DOCKERFILE).unlink(missing_ok=True)
    return str(target)
