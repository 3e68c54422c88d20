"""Checks of an uploaded certificate and key, each refusal worded for the person uploading."""

from __future__ import annotations

import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from routing.certificates import CertificateProblem, check_pair, covers
from tests.support.certs import key_pem, make_ca, make_leaf, now

ROOT = make_ca("Test Root")
INTERMEDIATE = make_ca("Test Intermediate", issuer=ROOT)
LEAF = make_leaf(INTERMEDIATE, ["shop.example.com", "*.shop.example.com"])


def refusal(chain: str, key: str, hostname: str = "shop.example.com") -> CertificateProblem:
    with pytest.raises(CertificateProblem) as caught:
        check_pair(chain, key, hostname)
    return caught.value


def test_a_good_pair_is_accepted_and_described():
    checked = check_pair(LEAF.cert_pem + INTERMEDIATE.cert_pem, LEAF.key_pem, "shop.example.com")

    assert checked.info.names == ("shop.example.com", "*.shop.example.com")
    assert checked.info.issuer == "Test Intermediate"
    assert checked.info.not_after > now()
    assert checked.chain_pem.count("BEGIN CERTIFICATE") == 2
    assert "BEGIN PRIVATE KEY" in checked.key_pem


def test_stray_text_around_the_pem_is_not_kept():
    checked = check_pair(
        "Bag Attributes: junk\n" + LEAF.cert_pem + "trailing words\n",
        LEAF.key_pem,
        "shop.example.com",
    )

    assert "junk" not in checked.chain_pem
    assert "trailing" not in checked.chain_pem


def test_a_key_of_another_certificate_is_refused():
    other = make_leaf(INTERMEDIATE, ["shop.example.com"])

    problem = refusal(LEAF.cert_pem, other.key_pem)
    assert "does not belong to this certificate" in str(problem)
    assert problem.field == "key"


def test_a_chain_with_the_issuer_first_is_out_of_order():
    problem = refusal(INTERMEDIATE.cert_pem + LEAF.cert_pem, LEAF.key_pem)

    assert "out of order" in str(problem)


def test_a_chain_with_a_wrong_issuer_is_out_of_order():
    problem = refusal(LEAF.cert_pem + ROOT.cert_pem, LEAF.key_pem)

    assert "out of order" in str(problem)
    assert "Test Root" in str(problem)


def test_an_expired_certificate_is_refused_with_its_date():
    old = make_leaf(
        INTERMEDIATE, ["shop.example.com"], not_before=now() - datetime.timedelta(days=100), days=90
    )

    assert "expired on" in str(refusal(old.cert_pem, old.key_pem))


def test_a_certificate_not_yet_valid_is_refused():
    future = make_leaf(
        INTERMEDIATE, ["shop.example.com"], not_before=now() + datetime.timedelta(days=2)
    )

    assert "not valid before" in str(refusal(future.cert_pem, future.key_pem))


def test_names_that_do_not_cover_the_domain_are_refused():
    problem = refusal(LEAF.cert_pem, LEAF.key_pem, "other.example.com")

    assert "does not cover other.example.com" in str(problem)


def test_a_certificate_without_dns_names_is_refused():
    bare = make_leaf(INTERMEDIATE, [])

    assert "no DNS names" in str(refusal(bare.cert_pem, bare.key_pem))


def test_an_encrypted_key_is_refused():
    encrypted = LEAF.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()

    problem = refusal(LEAF.cert_pem, encrypted)
    assert "passphrase" in str(problem)
    assert problem.field == "key"


def test_a_weak_rsa_key_is_refused():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point
    leaf = make_leaf(INTERMEDIATE, ["shop.example.com"], key=weak)

    assert "2048 bits" in str(refusal(leaf.cert_pem, key_pem(weak)))


@pytest.mark.parametrize(
    ("chain", "key", "message"),
    [
        ("hello", LEAF.key_pem, "not a PEM certificate"),
        (LEAF.cert_pem, "hello", "not a PEM private key"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            LEAF.key_pem,
            "could not be read",
        ),
    ],
)
def test_text_that_is_not_pem_is_refused(chain, key, message):
    assert message in str(refusal(chain, key))


@pytest.mark.parametrize(
    ("names", "hostname", "expected"),
    [
        (("shop.example.com",), "shop.example.com", True),
        (("*.example.com",), "shop.example.com", True),
        (("*.example.com",), "example.com", False),
        (("*.example.com",), "a.b.example.com", False),
        (("shop.example.com",), "www.example.com", False),
        (("*.example.com",), "*.example.com", True),
    ],
)
def test_wildcards_cover_one_label(names, hostname, expected):
    assert covers(names, hostname) is expected
