"""What may reach the gateway's config: hostnames, basic-auth users, snippets."""

from __future__ import annotations

import pytest

from routing import validation
from routing.validation import domain_problem, normalize_hostname, snippet_problem

ROOT = "apps.example.net"


def problem(hostname: str, **kwargs) -> str | None:
    return domain_problem(normalize_hostname(hostname), root_domain=ROOT, **kwargs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shop.example.com;include /etc", "must not contain a semicolon (;)"),
        ("shop{.example.com", "must not contain a brace ({)"),
        ("shop}.example.com", "must not contain a brace (})"),
        ('shop".example.com', 'must not contain a quote (")'),
        ("shop'.example.com", "must not contain a quote (')"),
        ("shop.example.com\nserver_name evil", "must not contain a line break"),
        ("shop.example.com\n", "must not contain a line break"),
        ("shop.example.com\r", "must not contain a line break"),
        ("$host.example.com", "must not contain a dollar sign ($)"),
        ("shop example.com", "must not contain a space"),
        ("shop\t.example.com", "must not contain a tab"),
        ("shop\\.example.com", "must not contain a backslash"),
        ("shop#.example.com", "must not contain a hash (#)"),
    ],
)
def test_each_injection_character_is_refused_with_its_reason(text, message):
    found = problem(text)

    assert found is not None
    assert message in found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give a domain name"),
        ("shop", "full domain name with a dot"),
        ("shop..example.com", "each part must be"),
        ("-shop.example.com", "each part must be"),
        ("shop_x.example.com", "each part must be"),
        ("a" * 64 + ".example.com", "each part must be"),
        ("a." * 127 + "com", "at most 253"),
        ("10.0.0.1", "IP address"),
        ("*.example.com", "trusted"),
        ("shop.*.example.com", "whole first part"),
        ("shop.apps.example.net", "belong to apps"),
        ("apps.example.net", "belong to apps"),
    ],
)
def test_names_that_are_not_custom_domains_are_refused(text, message):
    found = problem(text)

    assert found is not None
    assert message in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shop.Example.COM", "shop.example.com"),
        ("shop.example.com.", "shop.example.com"),
        ("  shop.example.com ", "shop.example.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_valid_names_are_normalised_and_accepted(text, expected):
    assert normalize_hostname(text) == expected
    assert problem(text) is None


def test_a_trusted_team_may_add_a_wildcard():
    assert problem("*.example.com", allow_wildcard=True) is None


def test_the_renderers_hostname_check_names_the_injected_character():
    assert "semicolon" in (validation.hostname_error("a.example;") or "")


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Give a user name"),
        ("ann:x", "colon"),
        ("ann\nbob", "line break"),
        ("ann bob", "space"),
        ("-ann", "1-64 letters"),
    ],
)
def test_basic_auth_user_names_that_would_break_the_file_are_refused(username, message):
    assert message in (validation.username_problem(username) or "")


def test_short_passwords_and_line_breaks_are_refused():
    assert "at least 8" in (validation.password_problem("short") or "")
    assert "line breaks" in (validation.password_problem("long enough\npassword") or "")
    assert validation.password_problem("a long enough passphrase") is None


# --- snippets -----------------------------------------------------------------------


def test_an_untrusted_team_may_use_allowed_directives():
    text = "add_header X-Frame-Options DENY;\nclient_max_body_size 20m;\n# a comment\ngzip on;"

    assert snippet_problem(text, trusted=False) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alias /etc/berth/tls/;", "directive alias is not allowed"),
        ("root /;", "directive root is not allowed"),
        ("proxy_pass http://127.0.0.1:2375;", "directive proxy_pass is not allowed"),
        ("include /etc/passwd;", "directive include is not allowed"),
        ("add_header A b;\nauth_basic_user_file /etc/shadow;", "Line 2"),
        ("if ($host) { return 403; }", "Blocks"),
    ],
)
def test_an_untrusted_team_is_refused_anything_else(text, message):
    found = snippet_problem(text, trusted=False)

    assert found is not None
    assert message in found


def test_a_trusted_team_may_use_any_directive_and_blocks():
    assert snippet_problem("if ($http_x) { return 403; }\nalias /srv/;", trusted=True) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("} server { listen 81;", "would end the app's location block"),
        ("add_header A b", "missing its semicolon"),
        ("add_header A 'b;", "quoted string is not closed"),
        ("if ($x) { return 403;", "block is not closed"),
        ("; add_header A b;", "semicolon without a directive"),
        ("add_header A b;\x00", "control characters"),
    ],
)
def test_a_snippet_that_would_leave_the_location_is_refused_even_when_trusted(text, message):
    found = snippet_problem(text, trusted=True)

    assert found is not None
    assert message in found


def test_variables_in_braces_are_not_blocks():
    assert snippet_problem("add_header X-Host ${host}.seen;", trusted=False) is None
