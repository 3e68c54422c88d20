"""Input checks with messages a person can act on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from apps import validation


def message(call: Callable[..., object], *args: object) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return " ".join(m for messages in caught.value.message_dict.values() for m in messages)


@pytest.mark.parametrize("name", ["a", "shop", "my-app-2", "0x", "a" * 63])
def test_good_names(name):
    assert validation.clean_name(name) == name


def test_reserved_names(settings):
    settings.BERTH_PORTAL_SUBDOMAIN = "berth"

    assert "reserved" in message(validation.clean_name, "berth")
    assert "reserved" in message(validation.clean_name, "www")


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27",
        "library/nginx:1.27-alpine",
        "registry.example.com:5000/team/app:v1",
        "ghcr.io/o/r@sha256:" + "a" * 64,
    ],
)
def test_good_images(image):
    assert validation.clean_image(image) == image


@pytest.mark.parametrize("image", ["", "Nginx", "nginx:", "a b", "nginx:tag with space", "-x"])
def test_bad_images(image):
    with pytest.raises(ValidationError):
        validation.clean_image(image)


def test_env_text_is_parsed_like_a_dotenv_file():
    assert validation.parse_env_text("# comment\nA=1\n\nB = two=2\n") == {"A": "1", "B": " two=2"}
    assert "Line 1" in message(validation.parse_env_text, "no equals sign")


def test_env_values_must_be_text():
    assert "must be text" in message(validation.clean_env, {"A": {"nested": 1}})
    assert "NUL" in message(validation.clean_env, {"A": "x\x00y"})


def test_health_path_must_be_a_path():
    assert validation.clean_health_path("/healthz?full=1") == "/healthz?full=1"
    assert "starting with /" in message(validation.clean_health_path, "healthz")
    assert "starting with /" in message(validation.clean_health_path, "/x'; rm -rf /")


def test_placement_labels():
    assert validation.clean_placement({"zone": "eu-1"}) == {"zone": "eu-1"}
    assert "not a node label" in message(validation.clean_placement, {"bad label": "x"})
    assert "not a label value" in message(validation.clean_placement, {"zone": "a==b c"})
