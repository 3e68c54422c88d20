"""The docker SDK, loaded without its SSH transport unless the engine is reached over SSH.

The SDK imports paramiko (with nacl and bcrypt: ~3 MB in every process) in case an
engine address is ``ssh://``. Berth's engine is a socket or ``tcp://``, so paramiko is
hidden while the SDK loads; node joins over SSH (nodes/ssh.py) import it when they
run. :mod:`paas.transport` takes the SDK from here.
"""

from __future__ import annotations

import os
import sys

_HIDE = (
    "paramiko" not in sys.modules
    and not os.environ.get("DOCKER_HOST", "").startswith("ssh://")
    and "DOCKER_HOST_FILE" not in os.environ
)
if _HIDE:
    sys.modules["paramiko"] = None  # type: ignore[assignment]
try:
    import docker
    import docker.errors
    import docker.tls
finally:
    if _HIDE:
        del sys.modules["paramiko"]

__all__ = ["docker"]
