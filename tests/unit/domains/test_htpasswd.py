"""Basic-auth hashes nginx's crypt(3) reads."""

from __future__ import annotations

import pytest

from routing import htpasswd


def test_sha512_crypt_matches_the_reference_vectors():
    # From the SHA-crypt specification's test vectors.
    assert htpasswd.sha512_crypt("Hello world!", "saltstring") == (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdc"
        "bYEdFCoEOfaS35inz1"
    )
    assert htpasswd.sha512_crypt("Hello world!", "saltstringsaltstring", 10000) == (
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0"
        "Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."
    )


def test_each_hash_has_its_own_salt_and_checks_only_its_password():
    first, second = htpasswd.hash_password("correct horse"), htpasswd.hash_password("correct horse")

    assert first != second
    assert "correct horse" not in first
    assert htpasswd.check_password("correct horse", first)
    assert not htpasswd.check_password("wrong horse", first)


def test_the_file_has_one_user_per_line():
    hashed = htpasswd.hash_password("secret password")

    assert htpasswd.file_text([("ann", hashed), ("bob", hashed)]) == (
        f"ann:{hashed}\nbob:{hashed}\n"
    )


@pytest.mark.parametrize(
    "user", [("ann:root", "$6$x$" + "a" * 86), ("ann", "plain-password"), ("a\nb", "$6$x$y")]
)
def test_the_file_refuses_what_would_break_its_lines(user):
    with pytest.raises(ValueError, match="cannot be written"):
        htpasswd.file_text([user])
