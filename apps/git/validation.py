"""Checking what a team gives as its git source: repository URL, branch, folder, credentials.

Only remote transports are accepted: ``https://``, ``ssh://`` and the scp-like
``user@host:path``, plus ``file://`` where an operator allows it (tests, or a
host that serves repositories from disk). A bare local path, another
transport (``http``, ``git``, ``ext::`` helpers that run commands) and anything
git could read as an option (a leading ``-`` in the URL, host, user or path)
are refused. A token in the URL is refused too: it would be stored and logged
in the clear, so it goes in the encrypted credential instead.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from urllib.parse import SplitResult, urlsplit

from django.core.exceptions import ValidationError

MAX_URL = 500
MAX_BRANCH = 200
MAX_SUBFOLDER = 500
MAX_TOKEN = 4096
MAX_KEY = 16 * 1024
MAX_KNOWN_HOSTS = 64 * 1024

HOST_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")
# user@host:path, where no slash comes before the colon (git's own rule).
SCP_LIKE = re.compile(
    r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:\[\]]+|\[[0-9A-Fa-f:.]+\]):(?P<path>.*)$"
)
SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
BRANCH_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")

FIELD = "repository_url"


def _error(message: str, field: str = FIELD) -> ValidationError:
    return ValidationError({field: message})


def _clean_host(host: str | None) -> str:
    if not host:
        raise _error("The URL names no host.")
    if host.startswith("-"):
        raise _error("A host cannot start with '-'.")
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(bare)
        return host
    except ValueError:
        pass
    labels = bare.rstrip(".").split(".")
    if len(bare) > 253 or not all(HOST_LABEL.match(label) for label in labels):
        raise _error(f"{host!r} is not a valid host name.")
    return host


def _clean_user(user: str | None) -> None:
    if user is not None and not USER.match(user):
        raise _error("The user name in the URL may hold letters, digits, '.', '_' and '-' only.")


def _clean_path(path: str) -> None:
    if not path.strip("/"):
        raise _error("The URL names no repository (the path is empty).")
    if path.lstrip("/").startswith("-"):
        raise _error("A repository path cannot start with '-'.")


def _https(parts: SplitResult) -> None:
    if parts.username is not None or parts.password is not None:
        raise _error(
            "Put no user name or token in the URL: give the token as the credential "
            "(it is stored encrypted and never shown)."
        )
    if parts.query or parts.fragment:
        raise _error("A repository URL has no '?' or '#' part.")
    try:
        parts.port  # noqa: B018 - parsing it raises on a bad port
    except ValueError:
        raise _error("The port is not a number from 1 to 65535.") from None
    _clean_host(_netloc_host(parts.netloc))
    _clean_path(parts.path)


def _netloc_host(netloc: str) -> str:
    """The host as written (not lowercased or unbracketed), so a leading '-' is seen."""
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def _ssh(parts: SplitResult) -> None:
    if parts.password is not None:
        raise _error("Put no password in the URL: use an SSH deploy key.")
    if parts.query or parts.fragment:
        raise _error("A repository URL has no '?' or '#' part.")
    try:
        parts.port  # noqa: B018
    except ValueError:
        raise _error("The port is not a number from 1 to 65535.") from None
    _clean_user(parts.username)
    _clean_host(_netloc_host(parts.netloc))
    _clean_path(parts.path)


def _file(parts: SplitResult, *, allow_file: bool) -> None:
    if not allow_file:
        raise _error(
            "file:// repositories are turned off on this installation (BERTH_GIT_FILE_URLS)."
        )
    if parts.netloc not in ("", "localhost"):
        raise _error("A file:// URL names a folder on this host: file:///path/to/repo.git")
    if not parts.path.startswith("/") or ".." in parts.path.split("/"):
        raise _error("A file:// URL needs an absolute path without '..'.")
    _clean_path(parts.path)


def clean_repository_url(value: object, *, allow_file: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _error("Give the repository's URL (https://..., ssh://... or git@host:owner/repo).")
    url = value.strip()
    if len(url) > MAX_URL:
        raise _error(f"The URL is longer than {MAX_URL} characters.")
    if re.search(r"[\x00-\x20\x7f]", url):
        raise _error("The URL contains spaces or control characters.")
    if url.startswith("-"):
        raise _error("A repository URL cannot start with '-'.")
    if "::" in url.split("/", 1)[0]:
        raise _error("Transport helpers (such as ext::) are not allowed.")
    if "://" in url:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "https":
            _https(parts)
        elif scheme == "ssh":
            _ssh(parts)
        elif scheme == "file":
            _file(parts, allow_file=allow_file)
        elif scheme == "http":
            raise _error("Plain http is not allowed: use https:// (or ssh).")
        else:
            raise _error(f"{scheme}:// repositories are not supported: use https:// or ssh.")
        return url
    if url.startswith(("/", ".", "~")) or "\\" in url:
        raise _error("Local paths are not allowed: give an https://, ssh:// or user@host:path URL.")
    match = SCP_LIKE.match(url)
    if match is None:
        raise _error("Give an https://, ssh:// or user@host:path URL.")
    _clean_user(match["user"])
    _clean_host(match["host"])
    _clean_path(match["path"])
    return url


def kind_of(url: str) -> str:
    """``https``, ``ssh`` or ``file`` for a URL that :func:`clean_repository_url` accepted."""
    if "://" in url:
        return urlsplit(url).scheme.lower()
    return "ssh"


def clean_branch(value: object) -> str:
    """A branch name as git's check-ref-format accepts it (``refs/heads/`` may be given)."""
    if not isinstance(value, str) or not value.strip():
        raise _error("Give a branch, such as main.", "branch")
    name = value.strip().removeprefix("refs/heads/")
    if len(name) > MAX_BRANCH:
        raise _error(f"The branch name is longer than {MAX_BRANCH} characters.", "branch")
    if name.startswith("-"):
        raise _error("A branch name cannot start with '-'.", "branch")
    if BRANCH_FORBIDDEN.search(name):
        raise _error(
            "A branch name cannot hold spaces, control characters or any of ~ ^ : ? * [ \\.",
            "branch",
        )
    parts = name.split("/")
    if (
        name == "@"
        or "@{" in name
        or ".." in name
        or name.endswith((".", ".lock"))
        or any(not part or part.startswith(".") or part.endswith(".lock") for part in parts)
    ):
        raise _error(f"{name!r} is not a valid branch name.", "branch")
    return name


def clean_subfolder(value: object) -> str:
    """A folder inside the repository ('' for its root); no absolute paths, no '..'."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _error("Give a folder path as text.", "subfolder")
    text = value.strip()
    if not text or text in (".", "./", "/"):
        return ""
    if len(text) > MAX_SUBFOLDER:
        raise _error(f"The folder path is longer than {MAX_SUBFOLDER} characters.", "subfolder")
    if re.search(r"[\x00-\x1f\x7f\\]", text):
        raise _error("The folder path contains a forbidden character.", "subfolder")
    if text.startswith("/"):
        raise _error("Give a folder relative to the repository's root.", "subfolder")
    if ".." in text.split("/"):
        raise _error("The folder cannot contain '..'.", "subfolder")
    return posixpath.normpath(text)


def clean_sha(value: object, field: str = "commit") -> str:
    if not isinstance(value, str) or not SHA.match(value.strip().lower()):
        raise _error("Give a full commit SHA (40 hexadecimal characters).", field)
    return value.strip().lower()


def clean_token(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _error("Give the access token.", "token")
    token = value.strip()
    if len(token) > MAX_TOKEN or re.search(r"[\x00-\x20\x7f]", token):
        raise _error("This does not look like an access token.", "token")
    return token


def clean_username(value: object) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9_.@+-]{1,100}$", value.strip()):
        raise _error("Give a user name of letters, digits and . _ @ + - only.", "username")
    return value.strip()


def clean_private_key(value: object) -> str:
    """An unencrypted private key in OpenSSH or PEM form, with Unix line ends."""
    if not isinstance(value, str) or not value.strip():
        raise _error("Paste the private key.", "ssh_private_key")
    text = value.replace("\r\n", "\n").strip() + "\n"
    if len(text) > MAX_KEY:
        raise _error("The key is larger than 16 KB.", "ssh_private_key")
    if not re.match(r"^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\n", text) or not re.search(
        r"\n-----END [A-Z0-9 ]*PRIVATE KEY-----\n$", text
    ):
        raise _error(
            "Paste a private key in OpenSSH or PEM form (-----BEGIN ... PRIVATE KEY-----).",
            "ssh_private_key",
        )
    if "ENCRYPTED" in text:
        raise _error(
            "This key has a passphrase; Berth needs a key without one (a deploy key).",
            "ssh_private_key",
        )
    return text


def clean_known_hosts(value: object) -> str:
    """known_hosts lines (host key-type base64-key); blank lines and comments dropped."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise _error("Give known_hosts lines as text.", "known_hosts")
    if len(value) > MAX_KNOWN_HOSTS:
        raise _error("known_hosts is larger than 64 KB.", "known_hosts")
    lines = []
    for number, raw in enumerate(value.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        marker = fields[0].startswith("@")
        if len(fields) < (4 if marker else 3) or not re.match(
            r"^(ssh-|ecdsa-|sk-)", fields[2 if marker else 1]
        ):
            raise _error(
                f"Line {number} is not a known_hosts entry (host key-type key).", "known_hosts"
            )
        lines.append(line)
    return "\n".join(lines) + ("\n" if lines else "")
