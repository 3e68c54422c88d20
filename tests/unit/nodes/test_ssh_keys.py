"""Host key fingerprints as OpenSSH prints them, and private keys Berth can read."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from nodes import ssh
from tests.support.services import unavailable


def test_the_fingerprint_matches_ssh_keygen(tmp_path):
    if shutil.which("ssh-keygen") is None:
        unavailable("ssh-keygen is not installed (openssh-client)")
    public = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    (tmp_path / "key.pub").write_text(public + "\n")
    printed = subprocess.run(
        ["ssh-keygen", "-lf", str(tmp_path / "key.pub")], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    key_type, blob = public.split()[:2]

    assert ssh.HostKey(key_type, blob).fingerprint == printed


def test_a_fingerprint_given_without_its_prefix_or_with_padding_is_normalised():
    assert ssh.normalise_fingerprint(" abc= ") == "SHA256:abc"
    assert ssh.normalise_fingerprint("SHA256:abc") == "SHA256:abc"


def test_an_unreadable_private_key_is_said_in_words():
    with pytest.raises(ssh.SshError, match="cannot be read"):
        ssh._private_key("not a key", "")


def test_an_encrypted_key_without_its_passphrase_asks_for_it():
    key = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"pass"),
    )
    with pytest.raises(ssh.SshError, match="passphrase"):
        ssh._private_key(key.decode(), "")
    assert ssh._private_key(key.decode(), "pass").get_name() == "ssh-ed25519"
