"""SSH deploy keys: made by Berth (ed25519) or pasted, and their public half to show.

``ssh-keygen`` does the work in a private temporary folder; the private key
only ever leaves it encrypted (the caller stores it with paas.crypto).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError

TIMEOUT = 10


def _keygen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh-keygen", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def generate(comment: str) -> tuple[str, str]:
    """A new ed25519 key pair without a passphrase: (private key, public key line)."""
    with tempfile.TemporaryDirectory(prefix="berth-key-") as folder:
        path = Path(folder) / "key"
        done = _keygen("-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path))
        if done.returncode != 0:
            raise RuntimeError(f"ssh-keygen failed: {done.stderr.strip()}")
        return path.read_text(), (Path(folder) / "key.pub").read_text().strip()


def public_key(private: str, comment: str = "") -> str:
    """The public key line of ``private``; a ValidationError if ssh-keygen cannot read it."""
    with tempfile.TemporaryDirectory(prefix="berth-key-") as folder:
        path = Path(folder) / "key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(private)
        # An empty passphrase: a key that has one fails here instead of prompting.
        done = _keygen("-y", "-P", "", "-f", str(path))
    if done.returncode != 0:
        raise ValidationError(
            {
                "ssh_private_key": "ssh-keygen cannot read this key (or it has a passphrase); "
                "paste an unencrypted OpenSSH or PEM private key."
            }
        )
    line = done.stdout.strip()
    return f"{line} {comment}".strip() if comment and len(line.split()) == 2 else line
