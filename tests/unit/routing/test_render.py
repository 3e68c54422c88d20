"""The nginx and Traefik text Berth renders, and that the host's nginx accepts it."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace

import pytest
import yaml

from routing import render
from routing.routes import Route, TlsPair
from tests.support.services import unavailable

SHOP = Route(
    name="shop",
    hostnames=("shop.example.com", "www.shop.example.com"),
    service="berth-app-shop",
    port=8080,
)


def test_a_site_proxies_every_hostname_to_the_tasks_of_its_service():
    text = render.site_conf(SHOP, namespace="berth")

    assert "server_name shop.example.com www.shop.example.com;" in text
    assert "set $berth_upstream tasks.berth-app-shop;" in text
    assert "proxy_pass http://$berth_upstream:8080;" in text
    assert "resolver 127.0.0.11 valid=1s ipv6=off;" in text
    assert "resolver_timeout 2s;" in text


def test_a_site_forwards_the_client_and_upgrades_websockets():
    text = render.site_conf(SHOP, namespace="berth")

    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP"):
        assert f"proxy_set_header {header}" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_read_timeout 3600s;" in text


def test_a_site_without_websockets_closes_upstream_connections_and_times_out_sooner():
    text = render.site_conf(
        Route(name="api", hostnames=("api.example.com",), service="s", port=80, websocket=False),
        namespace="berth",
    )

    assert "Upgrade" not in text
    assert 'proxy_set_header Connection "close";' in text
    assert "proxy_read_timeout 60s;" in text


ADDRESSES = ("10.0.0.5", "10.0.0.7")


def test_known_task_addresses_become_a_group_with_open_connections_and_dns_behind_it():
    text = render.site_conf(replace(SHOP, addresses=ADDRESSES), namespace="berth")

    assert "upstream berth-shop {" in text
    assert "server 10.0.0.5:8080 max_fails=1 fail_timeout=30s;" in text
    assert "server 10.0.0.7:8080 max_fails=1 fail_timeout=30s;" in text
    assert "keepalive 16;" in text
    assert "proxy_pass http://berth-shop;" in text
    # Connections to the group stay open (no "close"); a websocket still upgrades.
    assert "set $berth_connection upgrade;" in text
    assert 'set $berth_connection "";' in text
    assert '"close"' not in text
    # When no task of the group answers: the names Docker's DNS knows, if safe to resend.
    assert "error_page 502 503 504 = @berth_dns;" in text
    assert "location @berth_dns {" in text
    assert "if ($berth_resend = 0) {" in text
    assert "proxy_pass http://$berth_upstream:8080;" in text
    assert "recursive_error_pages on;" in text


def test_without_addresses_a_site_goes_by_dns_alone():
    text = render.site_conf(SHOP, namespace="berth")

    assert "upstream berth-" not in text
    assert "proxy_pass http://$berth_upstream:8080;" in text
    assert "@berth_dns" not in text


def test_an_ipv6_task_address_is_bracketed_and_a_bad_one_refused():
    text = render.site_conf(replace(SHOP, addresses=("fd00::5",)), namespace="berth")

    assert "server [fd00::5]:8080 " in text
    with pytest.raises(render.RenderError, match="not an IP address"):
        render.site_conf(replace(SHOP, addresses=("10.0.0.5; evil",)), namespace="berth")


def test_a_file_for_another_proxy_never_names_task_addresses():
    text = render.site_conf(replace(SHOP, addresses=ADDRESSES), namespace="berth", listen=None)

    assert "10.0.0.5" not in text
    assert "proxy_pass http://$berth_upstream:8080;" in text


def test_the_main_config_resends_only_what_is_safe_to_repeat():
    text = render.main_conf(render.MainConfig(namespace="berth", user="www-data"))

    assert 'map "$request_method:$upstream_bytes_sent" $berth_resend {' in text
    assert '"~^(GET|HEAD|OPTIONS):" 1;' in text


def test_a_site_shows_the_unavailable_page_when_no_task_answers():
    text = render.site_conf(SHOP, namespace="berth")

    assert "error_page 502 503 504 = @berth_unavailable;" in text
    assert "return 503 '<!doctype html>" in text
    assert "not running right now" in text


def test_a_site_names_its_route_and_hostnames_for_the_reconciler():
    text = render.site_conf(SHOP, namespace="berth")

    assert render.site_route_name(text) == "shop"
    assert render.site_hostnames(text) == ("shop.example.com", "www.shop.example.com")


def test_an_external_site_leaves_the_listen_port_to_the_including_proxy():
    assert "listen" not in render.site_conf(SHOP, namespace="berth", listen=None)
    assert "listen 80;" in render.site_conf(SHOP, namespace="berth")


def test_it_refuses_to_render_an_invalid_route():
    with pytest.raises(render.RenderError):
        render.site_conf(
            Route(name="x", hostnames=("a.example; evil",), service="s", port=80), namespace="berth"
        )


def test_quote_refuses_what_nginx_would_interpret():
    for text in ("it's", "$host", "a\\b", "line\nbreak"):
        with pytest.raises(render.RenderError):
            render.quote(text)


def test_the_main_config_has_a_default_server_and_includes_the_sites():
    text = render.main_conf(render.MainConfig(namespace="berth", user="www-data"))

    assert "listen 80 default_server;" in text
    assert "No app here" in text
    assert "include /etc/berth/sites/*.conf;" in text
    assert "user www-data;" in text


def test_the_main_config_can_include_an_explicit_list_for_the_staged_check():
    text = render.main_conf(
        render.MainConfig(namespace="berth"), includes=["/etc/berth/staging/ab/shop.conf"]
    )

    assert "include /etc/berth/staging/ab/shop.conf;" in text
    assert "sites/*.conf" not in text


def test_the_portal_is_proxied_to_its_upstream_name():
    text = render.portal_conf(
        hostname="berth.example.com",
        upstream="tasks.berth-web:8000",
        namespace="berth",
        max_body_mb=2049,
    )

    assert "server_name berth.example.com;" in text
    # Uploads up to Berth's own limits get through (the gateway's default is 100 MB).
    assert "client_max_body_size 2049m;" in text
    assert "set $berth_upstream tasks.berth-web;" in text
    assert "proxy_pass http://$berth_upstream:8000;" in text
    # A followed log stream of a quiet app sends nothing for long: not cut after a minute.
    assert "proxy_read_timeout 3600s;" in text
    assert "proxy_read_timeout 60s;" not in text
    with pytest.raises(render.RenderError):
        render.portal_conf(hostname="berth.example.com", upstream="web;evil:80", namespace="berth")


def test_a_portal_with_a_certificate_is_served_on_443_and_port_80_redirects():
    pair = TlsPair(chain_pem="CHAIN\n", key_pem="KEY\n")
    text = render.portal_conf(
        hostname="berth.example.com",
        upstream="tasks.berth-web:8000",
        namespace="berth",
        tls=pair,
        https_port=8443,
    )
    plain, secure = text.split("listen 80;")[1].split("listen 443 ssl;")

    # Port 80 answers ACME and Berth's checks, and sends everything else to HTTPS.
    assert "/.well-known/acme-challenge/" in plain
    assert "return 301 https://$host:8443$request_uri;" in plain
    assert "proxy_pass" not in plain
    assert f"ssl_certificate /etc/berth/tls/{pair.file_name};" in secure
    assert "proxy_pass http://$berth_upstream:8000;" in secure
    assert "X-Forwarded-Proto $scheme" in secure


def test_traefik_document_routes_hostnames_to_the_tasks():
    document = yaml.safe_load(render.traefik_yaml(SHOP, namespace="berth"))

    router = document["http"]["routers"]["berth-shop"]
    assert router["rule"] == "Host(`shop.example.com`) || Host(`www.shop.example.com`)"
    servers = document["http"]["services"]["berth-shop"]["loadBalancer"]["servers"]
    assert servers == [{"url": "http://tasks.berth-app-shop:8080"}]


def test_traefik_wildcards_become_a_host_regexp():
    wildcard = Route(name="w", hostnames=("*.apps.example.com",), service="s", port=80)
    rule = yaml.safe_load(render.traefik_yaml(wildcard, namespace="b"))["http"]["routers"]["b-w"][
        "rule"
    ]

    assert rule == r"HostRegexp(`^[a-z0-9-]+\.apps\.example\.com$`)"


def test_the_host_nginx_accepts_the_rendered_configs(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.which(nginx):
        unavailable("no nginx binary on this host (apt-get install nginx-light)")
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "shop.conf").write_text(render.site_conf(SHOP, namespace="berth"))
    plain = Route(name="api", hostnames=("api.example.com",), service="s", port=80, websocket=False)
    (sites / "api.conf").write_text(render.site_conf(plain, namespace="berth"))
    grouped = replace(SHOP, name="tasks", hostnames=("tasks.example.com",), addresses=ADDRESSES)
    (sites / "tasks.conf").write_text(render.site_conf(grouped, namespace="berth"))
    portal = render.portal_conf(
        hostname="berth.example.com", upstream="web:8000", namespace="berth"
    )
    (sites / "_portal.conf").write_text(portal)
    conf = tmp_path / "nginx.conf"
    main = render.main_conf(
        render.MainConfig(namespace="berth", user="www-data"), includes=[str(sites / "*.conf")]
    )
    # Keep the check's pid file out of the shared /tmp.
    conf.write_text(main.replace("/tmp/berth-nginx.pid", str(tmp_path / "nginx.pid")))

    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
