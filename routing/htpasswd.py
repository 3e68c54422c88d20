"""Basic-auth password hashes in a format nginx's ``auth_basic_user_file`` reads.

nginx hands hashes it does not know itself to the C library's crypt(3); glibc
and musl (the official nginx images) both read SHA-512 crypt (``$6$``), which
is salted and iterated, unlike ``{SSHA}``. Python has no crypt module from
3.13 on, so the algorithm (Ulrich Drepper's specification) is written here.
"""

from __future__ import annotations

import hashlib
import secrets

from routing.validation import htpasswd_hash_problem, username_problem

ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DEFAULT_ROUNDS = 5000
# The byte order of the 64-byte digest in the encoded hash.
_ORDER = (
    (0, 21, 42),
    (22, 43, 1),
    (44, 2, 23),
    (3, 24, 45),
    (25, 46, 4),
    (47, 5, 26),
    (6, 27, 48),
    (28, 49, 7),
    (50, 8, 29),
    (9, 30, 51),
    (31, 52, 10),
    (53, 11, 32),
    (12, 33, 54),
    (34, 55, 13),
    (56, 14, 35),
    (15, 36, 57),
    (37, 58, 16),
    (59, 17, 38),
    (18, 39, 60),
    (40, 61, 19),
    (62, 20, 41),
)


def _b64(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(ALPHABET[value & 0x3F])
        value >>= 6
    return "".join(out)


def _repeat(digest: bytes, length: int) -> bytes:
    return (digest * (length // 64 + 1))[:length]


def sha512_crypt(password: str, salt: str | None = None, rounds: int = DEFAULT_ROUNDS) -> str:
    """``$6$[rounds=N$]salt$hash`` of ``password``, as crypt(3) computes it."""
    key = password.encode()
    salt = (salt if salt is not None else "".join(secrets.choice(ALPHABET) for _ in range(16)))[:16]
    salt_bytes = salt.encode()
    rounds = max(1000, min(rounds, 999_999_999))

    alternate = hashlib.sha512(key + salt_bytes + key).digest()
    context = hashlib.sha512(key + salt_bytes + _repeat(alternate, len(key)))
    length = len(key)
    while length:
        context.update(alternate if length & 1 else key)
        length >>= 1
    a = context.digest()

    p = _repeat(hashlib.sha512(key * len(key)).digest(), len(key))
    s = _repeat(hashlib.sha512(salt_bytes * (16 + a[0])).digest(), len(salt_bytes))

    c = a
    for i in range(rounds):
        step = hashlib.sha512(p if i & 1 else c)
        if i % 3:
            step.update(s)
        if i % 7:
            step.update(p)
        step.update(c if i & 1 else p)
        c = step.digest()

    encoded = "".join(_b64((c[x] << 16) | (c[y] << 8) | c[z], 4) for x, y, z in _ORDER)
    encoded += _b64(c[63], 2)
    prefix = "$6$" if rounds == DEFAULT_ROUNDS else f"$6$rounds={rounds}$"
    return f"{prefix}{salt}${encoded}"


def hash_password(password: str) -> str:
    return sha512_crypt(password)


def check_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``$6$`` hash (for tests and the admin)."""
    parts = hashed.split("$")
    if len(parts) < 4 or parts[1] != "6":
        return False
    rounds = DEFAULT_ROUNDS
    salt = parts[2]
    if salt.startswith("rounds="):
        rounds = int(salt.removeprefix("rounds="))
        salt = parts[3]
    return secrets.compare_digest(sha512_crypt(password, salt, rounds), hashed)


def file_text(users: list[tuple[str, str]]) -> str:
    """An htpasswd file; refuses a user or hash that would break its line format."""
    lines = []
    for username, hashed in users:
        if username_problem(username) or htpasswd_hash_problem(hashed):
            raise ValueError(f"basic-auth user {username[:40]!r} cannot be written")
        lines.append(f"{username}:{hashed}\n")
    return "".join(lines)
