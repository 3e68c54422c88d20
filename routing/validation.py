"""The one place that decides what user input may reach the gateway's config.

The portal, the API, the service functions and the renderer all call these
functions, so a hostname, a basic-auth user or a snippet that one of them
refuses is refused by all, with the same words, before any file is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters that would let a value end an nginx directive, open or close a
# block, start a string or a variable: each refused with its own reason.
INJECTION = {
    ";": ("a semicolon (;)", "it would end the nginx directive"),
    "{": ("a brace ({)", "it would open an nginx block"),
    "}": ("a brace (})", "it would close an nginx block"),
    '"': ('a quote (")', "it would start an nginx string"),
    "'": ("a quote (')", "it would start an nginx string"),
    "\n": ("a line break", "it would start a new nginx directive"),
    "\r": ("a line break", "it would start a new nginx directive"),
    "$": ("a dollar sign ($)", "it would read an nginx variable"),
    " ": ("a space", "it would split the value into two nginx arguments"),
    "\t": ("a tab", "it would split the value into two nginx arguments"),
    "\\": ("a backslash (\\)", "it would escape nginx syntax"),
    "#": ("a hash (#)", "it would start an nginx comment"),
}

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_WILDCARD = "*"
MAX_HOSTNAME = 253


def injection_problem(value: str, what: str = "the value") -> str | None:
    """Why ``value`` could change the config it is placed in, or None."""
    for char, (name, reason) in INJECTION.items():
        if char in value:
            return f"{what} must not contain {name}: {reason}"
    if re.search(r"[\x00-\x1f\x7f]", value):
        return f"{what} must not contain control characters"
    return None


def is_label(value: str) -> bool:
    return bool(_LABEL.match(value))


def hostname_error(hostname: str) -> str | None:
    """Why the gateway cannot put ``hostname`` into a ``server_name`` line, or None.

    Lowercase DNS names (punycode labels included) and one leading ``*.``
    wildcard pass; this is what the renderer accepts from any caller.
    """
    if not isinstance(hostname, str) or not hostname:
        return "a hostname is required"
    injected = injection_problem(hostname, f"the hostname {hostname[:40]!r}")
    if injected:
        return injected
    if len(hostname) > MAX_HOSTNAME:
        return f"{hostname[:40]}...: a hostname has at most {MAX_HOSTNAME} characters"
    labels = hostname.split(".")
    if labels[0] == _WILDCARD:
        labels = labels[1:]
        if len(labels) < 2:
            return f"{hostname}: a wildcard needs at least two labels after it"
    for label in labels:
        if not is_label(label):
            return (
                f"{hostname}: each part must be lowercase letters, digits or hyphens "
                "(1-63, no hyphen at either end)"
            )
    return None


def normalize_hostname(text: str) -> str:
    """Lowercase, without a trailing dot; an internationalised name becomes punycode.

    Injection characters are left in place so that :func:`domain_problem`
    names them; only a clean Unicode name is converted.
    """
    # Only spaces are trimmed: a line break or tab anywhere is refused, not hidden.
    value = text.strip(" ").lower().rstrip(".")
    if value and not value.isascii() and injection_problem(value) is None:
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError:
            return value
    return value


def domain_problem(hostname: str, *, root_domain: str, allow_wildcard: bool = False) -> str | None:
    """Why ``hostname`` (already normalised) cannot be a custom domain of an app, or None."""
    if not hostname:
        return "Give a domain name, such as shop.example.com."
    injected = injection_problem(hostname, "A domain name")
    if injected:
        return injected + "."
    if not hostname.isascii():
        return "This is not a valid internationalised domain name."
    if hostname.startswith("*.") and not allow_wildcard:
        return "Wildcard domains need a team an operator marked trusted."
    if "*" in hostname.removeprefix("*."):
        return "A wildcard may only be the whole first part, as in *.example.com."
    problem = hostname_error(hostname)
    if problem:
        return problem[0].upper() + problem[1:] + "."
    labels = hostname.removeprefix("*.").split(".")
    if len(labels) < 2:
        return "Give a full domain name with a dot, such as shop.example.com."
    if labels[-1].isdigit() or re.fullmatch(r"[0-9.]+", hostname):
        return "An IP address is not a domain name: give the name that points to it."
    root = root_domain.lower().rstrip(".")
    if hostname == root or hostname.endswith(f".{root}"):
        return (
            f"Names under {root} belong to apps by their app name; "
            "add a domain of your own instead."
        )
    return None


# --- basic auth ---------------------------------------------------------------------

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# The crypt(3) formats nginx's auth_basic_user_file reads: SHA-512 crypt (what
# Berth writes), apr1 and {SSHA} (what an operator may have elsewhere).
_HASH = re.compile(
    r"^(\$6\$(rounds=\d{4,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86}"
    r"|\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}"
    r"|\{SSHA\}[A-Za-z0-9+/=]{28,})$"
)
MAX_PASSWORD = 200


def username_problem(username: str) -> str | None:
    if not username:
        return "Give a user name."
    injected = injection_problem(username, "A user name")
    if injected:
        return injected + "."
    if ":" in username:
        return "A user name must not contain a colon (:), which separates it from the password."
    if not _USERNAME.match(username):
        return (
            "A user name is 1-64 letters, digits, dots, hyphens, underscores or @, "
            "starting with a letter or digit."
        )
    return None


def password_problem(password: str) -> str | None:
    if len(password) < 8:
        return "Use a password of at least 8 characters."
    if len(password) > MAX_PASSWORD:
        return f"A password has at most {MAX_PASSWORD} characters."
    if re.search(r"[\x00\r\n]", password):
        return "A password must not contain line breaks or NUL characters."
    return None


def htpasswd_hash_problem(value: str) -> str | None:
    return None if _HASH.match(value) else "not a password hash nginx reads"


# --- location snippets --------------------------------------------------------------

MAX_SNIPPET = 4000

# Directives an untrusted team may use: headers, caching, compression, limits
# and timeouts. None of them reads or writes a file in the gateway, runs code,
# or sends the request anywhere but the app.
ALLOWED_DIRECTIVES = frozenset(
    {
        "add_header",
        "add_trailer",
        "allow",
        "charset",
        "chunked_transfer_encoding",
        "client_body_buffer_size",
        "client_body_timeout",
        "client_max_body_size",
        "default_type",
        "deny",
        "etag",
        "expires",
        "gzip",
        "gzip_comp_level",
        "gzip_min_length",
        "gzip_proxied",
        "gzip_types",
        "gzip_vary",
        "if_modified_since",
        "keepalive_timeout",
        "limit_rate",
        "limit_rate_after",
        "proxy_buffer_size",
        "proxy_buffering",
        "proxy_buffers",
        "proxy_busy_buffers_size",
        "proxy_connect_timeout",
        "proxy_cookie_domain",
        "proxy_cookie_path",
        "proxy_hide_header",
        "proxy_ignore_headers",
        "proxy_intercept_errors",
        "proxy_pass_header",
        "proxy_read_timeout",
        "proxy_redirect",
        "proxy_request_buffering",
        "proxy_send_timeout",
        "proxy_set_header",
        "return",
        "rewrite",
        "send_timeout",
        "server_tokens",
    }
)


class SnippetError(ValueError):
    """The snippet cannot be placed in a location block (the message says why)."""


@dataclass(frozen=True)
class Statement:
    directive: str
    line: int
    depth: int


def _tokens(text: str) -> list[tuple[str, int]]:
    """nginx tokens with their line numbers; quoted strings keep their quotes."""
    tokens: list[tuple[str, int]] = []
    i, line = 0, 1
    while i < len(text):
        char = text[i]
        if char == "\n":
            line += 1
            i += 1
        elif char.isspace():
            i += 1
        elif char == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
        elif char in ";{}":
            tokens.append((char, line))
            i += 1
        elif char in "\"'":
            start, start_line = i, line
            i += 1
            while i < len(text) and text[i] != char:
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n":
                    line += 1
                i += 1
            if i >= len(text):
                raise SnippetError(f"line {start_line}: a quoted string is not closed")
            i += 1
            tokens.append((text[start:i], start_line))
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in ";{}\"'#":
                if text[i] == "$" and text[i + 1 : i + 2] == "{":
                    end = text.find("}", i)
                    if end < 0:
                        raise SnippetError(f"line {line}: a ${{variable}} is not closed")
                    i = end
                i += 1
            tokens.append((text[start:i], line))
    return tokens


def parse_snippet(text: str) -> list[Statement]:
    """Every directive of a location-level snippet; refuses what would leave the location."""
    if len(text) > MAX_SNIPPET:
        raise SnippetError(f"a snippet has at most {MAX_SNIPPET} characters")
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise SnippetError("a snippet must not contain control characters")
    statements: list[Statement] = []
    words: list[tuple[str, int]] = []
    depth = 0
    for item, line in _tokens(text):
        if item == ";":
            if not words:
                raise SnippetError(f"line {line}: a semicolon without a directive")
            statements.append(Statement(words[0][0], words[0][1], depth))
            words = []
        elif item == "{":
            if not words:
                raise SnippetError(f"line {line}: a block without a directive")
            statements.append(Statement(words[0][0], words[0][1], depth))
            words = []
            depth += 1
        elif item == "}":
            if words:
                raise SnippetError(f"line {words[0][1]}: {words[0][0]} is missing its semicolon")
            if depth == 0:
                raise SnippetError(
                    f"line {line}: this closing brace would end the app's location block"
                )
            depth -= 1
        else:
            if not words and not re.fullmatch(r"[a-z_][a-z0-9_]*", item):
                raise SnippetError(f"line {line}: {item[:40]!r} is not a directive name")
            words.append((item, line))
    if words:
        raise SnippetError(f"line {words[0][1]}: {words[0][0]} is missing its semicolon")
    if depth:
        raise SnippetError("a block is not closed (a closing brace is missing)")
    return statements


def snippet_problem(text: str, *, trusted: bool) -> str | None:
    """Why ``text`` cannot be the app's location snippet, or None.

    Anyone's snippet must parse and stay inside the location; an untrusted
    team's may only hold the allowed directives, and no blocks.
    """
    if not text.strip():
        return None
    try:
        statements = parse_snippet(text)
    except SnippetError as exc:
        return f"The snippet does not parse: {exc}."
    if trusted:
        return None
    if any(s.depth > 0 for s in statements) or re.search(r"[{}]", _without_variables(text)):
        return "Blocks ({ ... }) need a team an operator marked trusted."
    for statement in statements:
        if statement.directive not in ALLOWED_DIRECTIVES:
            return (
                f"Line {statement.line}: the directive {statement.directive} is not allowed "
                "for this team. Allowed: " + ", ".join(sorted(ALLOWED_DIRECTIVES)) + "."
            )
    return None


def _without_variables(text: str) -> str:
    return re.sub(r"\$\{[A-Za-z0-9_]*\}", "", text)


def snippet_directives(text: str) -> set[str]:
    """Names of the snippet's top-level directives (empty for an empty or broken snippet)."""
    try:
        return {s.directive for s in parse_snippet(text) if s.depth == 0}
    except SnippetError:
        return set()
