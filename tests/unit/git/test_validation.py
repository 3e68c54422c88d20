"""What a team may give as its git source: remote URLs only, no option injection, safe folders."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.git import validation


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/shop.git",
        "https://git.example.com:8443/team/shop",
        "https://10.0.0.5/acme/shop.git",
        "ssh://git@github.com/acme/shop.git",
        "ssh://git@gitlab.example.com:2222/acme/shop.git",
        "git@github.com:acme/shop.git",
        "gitea.example.com:acme/shop.git",
    ],
)
def test_it_accepts_remote_urls(url):
    assert validation.clean_repository_url(url) == url


def test_it_accepts_file_urls_only_when_the_operator_allows_them():
    url = "file:///srv/git/shop.git"

    assert validation.clean_repository_url(url, allow_file=True) == url
    with pytest.raises(ValidationError, match="turned off"):
        validation.clean_repository_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Give the repository"),
        ("/srv/git/shop.git", "Local paths are not allowed"),
        ("./shop", "Local paths are not allowed"),
        ("../other-team/repo", "Local paths are not allowed"),
        ("~/repo", "Local paths are not allowed"),
        ("--upload-pack=touch", "cannot start with '-'"),
        ("ssh://-oProxyCommand=touch%20x/repo", "cannot start with '-'"),
        ("ssh://git@-oProxyCommand=x/repo", "cannot start with '-'"),
        ("-oProxyCommand=x:repo", "cannot start with '-'"),
        ("git@-oProxyCommand=x:repo", "cannot start with '-'"),
        ("git@host:-repo", "cannot start with '-'"),
        ("https://host/-repo", "cannot start with '-'"),
        ("ssh://-user@host/repo", "user name"),
        ("ext::sh -c touch% /tmp/pwned", "spaces or control"),
        ("ext::sh", "Transport helpers"),
        ("fd::17", "Transport helpers"),
        ("http://github.com/acme/shop.git", "Plain http"),
        ("git://github.com/acme/shop.git", "not supported"),
        ("ftp://host/repo", "not supported"),
        ("https://user:ghp_secret@github.com/acme/shop.git", "no user name or token"),
        ("https://ghp_secret@github.com/acme/shop.git", "no user name or token"),
        ("ssh://git:pw@github.com/acme/shop.git", "no password"),
        ("https://github.com/", "names no repository"),
        ("https://github.com/acme/shop?x=1", "A repository URL has no"),
        ("https://bad_host!/repo", "not a valid host"),
        ("https://host:99999/repo", "port"),
        ("file:///srv/../etc/repo", "without '..'"),
        ("file://otherhost/srv/repo", "names a folder on this host"),
        ("https://github.com/acme/shop .git", "spaces"),
    ],
)
def test_it_refuses_local_paths_other_transports_and_option_injection(url, message):
    with pytest.raises(ValidationError, match=message) as caught:
        validation.clean_repository_url(url, allow_file=True)
    assert "repository_url" in caught.value.message_dict


def test_the_kind_of_url_decides_which_credential_fits():
    assert validation.kind_of("https://h/r") == "https"
    assert validation.kind_of("ssh://git@h/r") == "ssh"
    assert validation.kind_of("git@h:r") == "ssh"
    assert validation.kind_of("file:///r") == "file"


@pytest.mark.parametrize(
    ("value", "clean"),
    [("main", "main"), ("refs/heads/release/1.2", "release/1.2"), (" dev ", "dev")],
)
def test_it_accepts_branch_names(value, clean):
    assert validation.clean_branch(value) == clean


@pytest.mark.parametrize(
    "value",
    [
        "",
        "-f",
        "a..b",
        "a b",
        "a~1",
        "a^",
        "a:b",
        "a?",
        "a*",
        "a[",
        "a\\b",
        "a.lock",
        "a/.b",
        "a//b",
        "a/",
        "@",
        "a@{1}",
        "a.",
    ],
)
def test_it_refuses_what_git_refuses_as_a_branch(value):
    with pytest.raises(ValidationError) as caught:
        validation.clean_branch(value)
    assert "branch" in caught.value.message_dict


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("", ""),
        (None, ""),
        (".", ""),
        ("/", ""),
        ("services/web", "services/web"),
        ("services/web/", "services/web"),
        ("./web", "web"),
    ],
)
def test_it_accepts_folders_inside_the_repository(value, clean):
    assert validation.clean_subfolder(value) == clean


@pytest.mark.parametrize(
    ("value", "message"),
    [("../other", "'..'"), ("web/../../x", "'..'"), ("/etc", "relative"), ("a\\b", "forbidden")],
)
def test_it_refuses_folders_that_leave_the_repository(value, message):
    with pytest.raises(ValidationError, match=message):
        validation.clean_subfolder(value)


def test_a_private_key_with_a_passphrase_is_refused():
    key = (
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES\n\nabc\n"
        "-----END RSA PRIVATE KEY-----\n"
    )
    with pytest.raises(ValidationError, match="passphrase"):
        validation.clean_private_key(key)


def test_a_public_key_is_not_taken_for_a_private_one():
    with pytest.raises(ValidationError, match="private key"):
        validation.clean_private_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI berth")


def test_known_hosts_lines_are_checked_and_comments_dropped():
    text = "# pinned\ngithub.com ssh-ed25519 AAAAC3Nza\n\n[git.example.com]:2222 ecdsa-sha2-nistp256 AAAA\n"

    assert validation.clean_known_hosts(text) == (
        "github.com ssh-ed25519 AAAAC3Nza\n[git.example.com]:2222 ecdsa-sha2-nistp256 AAAA\n"
    )
    with pytest.raises(ValidationError, match="Line 1"):
        validation.clean_known_hosts("not a host key")


def test_commit_shas_are_full_hex():
    sha = "a" * 40
    assert validation.clean_sha(sha.upper()) == sha
    with pytest.raises(ValidationError, match="full commit SHA"):
        validation.clean_sha("abc123")
