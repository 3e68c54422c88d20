"""Rendering of HTTPS servers, redirects, aliases, basic auth and snippets (text, then nginx -t)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from routing import htpasswd, render
from routing.routes import Host, Route, TlsPair, route_errors
from tests.support.certs import make_ca, make_leaf
from tests.support.services import unavailable

CA = make_ca()
LEAF = make_leaf(CA, ["shop.example.com", "www.example.com"])
PAIR = TlsPair(chain_pem=LEAF.cert_pem + CA.cert_pem, key_pem=LEAF.key_pem)
HASH = htpasswd.sha512_crypt("a long password", "fixedsalt")


def shop(**overrides) -> Route:
    fields = {
        "name": "shop",
        "hostnames": ("shop.apps.test", "shop.example.com", "www.example.com"),
        "service": "berth-app-shop",
        "port": 8080,
        "hosts": (
            Host("shop.example.com", tls=PAIR, force_https=True),
            Host("www.example.com", tls=PAIR, redirect_to="shop.example.com"),
        ),
    }
    return Route(**{**fields, **overrides})


def servers(text: str) -> list[str]:
    """Each ``server { ... }`` block of a site file."""
    return re.findall(r"^server \{\n.*?^\}\n", text, re.MULTILINE | re.DOTALL)


def server_for(text: str, name: str, listen: str) -> str:
    for block in servers(text):
        names = re.search(r"server_name ([^;]+);", block)
        if names and name in names.group(1).split() and f"listen {listen};" in block:
            return block
    raise AssertionError(f"no server for {name} on {listen}:\n{text}")


def test_a_name_with_a_certificate_is_served_over_tls_with_its_file():
    text = render.site_conf(shop(), namespace="berth")

    secure = server_for(text, "shop.example.com", "443 ssl")
    path = f"/etc/berth/tls/{PAIR.file_name}"
    assert f"ssl_certificate {path};" in secure
    assert f"ssl_certificate_key {path};" in secure
    assert "proxy_pass http://$berth_upstream:8080;" in secure
    assert "acme-challenge" not in secure


def test_force_https_redirects_port_80_but_still_answers_acme_there():
    text = render.site_conf(shop(), namespace="berth", https_port=8443)

    plain = server_for(text, "shop.example.com", "80")
    assert "return 301 https://$host:8443$request_uri;" in plain
    assert "location ^~ /.well-known/acme-challenge/" in plain
    assert "alias /etc/berth/acme/;" in plain
    assert "proxy_pass" not in plain


def test_the_redirect_leaves_out_the_default_https_port():
    text = render.site_conf(shop(), namespace="berth")

    assert "return 301 https://$host$request_uri;" in server_for(text, "shop.example.com", "80")


def test_an_alias_redirects_to_the_primary_on_both_ports():
    text = render.site_conf(shop(), namespace="berth", https_port=8443)

    for listen in ("80", "443 ssl"):
        block = server_for(text, "www.example.com", listen)
        assert "return 301 https://shop.example.com:8443$request_uri;" in block
        assert "proxy_pass" not in block


def test_an_alias_of_a_plain_http_primary_redirects_to_http_with_its_port():
    route = shop(
        hostnames=("shop.apps.test", "old.example.com"),
        hosts=(Host("old.example.com", redirect_to="shop.apps.test"),),
    )
    text = render.site_conf(route, namespace="berth", http_port=8080)

    block = server_for(text, "old.example.com", "80")
    assert "return 301 http://shop.apps.test:8080$request_uri;" in block


def test_names_without_options_stay_plain_http_to_the_app():
    text = render.site_conf(shop(), namespace="berth")

    plain = server_for(text, "shop.apps.test", "80")
    assert "proxy_pass http://$berth_upstream:8080;" in plain
    assert "ssl_certificate" not in plain
    assert render.site_hostnames(text) == ("shop.apps.test", "shop.example.com", "www.example.com")


def test_basic_auth_guards_every_server_of_the_app_but_not_acme():
    route = shop(basic_auth=(("ann", HASH),))
    name, content = render.auth_file(route) or ("", "")
    text = render.site_conf(route, namespace="berth")

    assert content == f"ann:{HASH}\n"
    for block in (
        server_for(text, "shop.apps.test", "80"),
        server_for(text, "shop.example.com", "443 ssl"),
    ):
        assert "auth_basic 'Restricted';" in block
        assert f"auth_basic_user_file /etc/berth/auth/{name};" in block
    assert text.count("auth_basic off;") >= 2


def test_a_snippet_goes_into_the_location_and_replaces_the_defaults_it_sets():
    route = shop(snippet="proxy_read_timeout 300s;\nadd_header X-Shop yes;")
    text = render.site_conf(route, namespace="berth")

    block = server_for(text, "shop.apps.test", "80")
    location = block[block.index("location / {") :]
    assert "        proxy_read_timeout 300s;" in location
    assert "proxy_read_timeout 3600s;" not in text
    assert "        add_header X-Shop yes;" in location
    assert "proxy_send_timeout 3600s;" in location


def test_a_route_with_a_refused_snippet_or_user_is_not_rendered():
    assert route_errors(shop(snippet="alias /;"))
    assert route_errors(shop(basic_auth=(("ann:x", HASH),)))
    assert route_errors(shop(basic_auth=(("ann", "plain"),)))
    with pytest.raises(render.RenderError, match="not allowed"):
        render.site_conf(shop(snippet="root /;"), namespace="berth")


def test_an_alias_must_point_at_a_name_the_app_serves():
    bad = shop(hosts=(Host("www.example.com", redirect_to="elsewhere.example.com"),))

    assert "redirects to a hostname the app does not serve" in route_errors(bad)[0]


def test_the_external_proxy_gets_plain_http_for_every_name():
    text = render.site_conf(shop(basic_auth=(("ann", HASH),)), namespace="berth", listen=None)

    assert "/etc/berth" not in text

    assert "ssl_certificate" not in text
    assert "listen" not in text
    assert "server_name shop.apps.test shop.example.com www.example.com;" in text


def test_the_main_config_refuses_tls_for_unknown_names_and_answers_acme():
    text = render.main_conf(render.MainConfig(namespace="berth"))

    assert "listen 443 ssl default_server;" in text
    assert "ssl_reject_handshake on;" in text
    assert "alias /etc/berth/verify/;" in text


def test_the_host_nginx_accepts_tls_auth_alias_and_snippet_configs(tmp_path: Path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.which(nginx):
        unavailable("no nginx binary on this host (apt-get install nginx-light)")
    route = shop(
        basic_auth=(("ann", HASH),), snippet="proxy_read_timeout 30s;\ngzip on;", websocket=False
    )
    for folder in ("sites", "tls", "auth", "acme", "verify"):
        (tmp_path / folder).mkdir()
    (tmp_path / "tls" / PAIR.file_name).write_text(PAIR.chain_pem + PAIR.key_pem)
    name, content = render.auth_file(route) or ("", "")
    (tmp_path / "auth" / name).write_text(content)
    site = render.site_conf(route, namespace="berth", https_port=8443)
    (tmp_path / "sites" / "shop.conf").write_text(site.replace("/etc/berth", str(tmp_path)))
    main = render.main_conf(
        render.MainConfig(namespace="berth", user="www-data"),
        includes=[str(tmp_path / "sites" / "*.conf")],
    )
    main = main.replace("/tmp/berth-nginx.pid", str(tmp_path / "nginx.pid"))
    (tmp_path / "nginx.conf").write_text(main.replace("/etc/berth", str(tmp_path)))

    result = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "conflicting server name" not in result.stderr
