"""CapRover captain-definition parsing, with a clear error for each mistake."""

from __future__ import annotations

import json

import pytest

from apps.captain import DefinitionError, parse


def test_image_name():
    assert parse('{"schemaVersion": 2, "imageName": "nginx:1.27"}').image == "nginx:1.27"


def test_dockerfile_lines():
    definition = parse(json.dumps({"schemaVersion": 2, "dockerfileLines": ["FROM a", "RUN b"]}))

    assert definition.needs_build
    assert definition.dockerfile_text() == "FROM a\nRUN b\n"


def test_dockerfile_path_is_normalised():
    assert (
        parse('{"schemaVersion": 2, "dockerfilePath": "./build/../Dockerfile"}').dockerfile_path
        == "Dockerfile"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1]", "expected a JSON object"),
        ('{"imageName": "a"}', "schemaVersion must be 2, got null"),
        (
            '{"schemaVersion": 2}',
            "give exactly one of imageName, dockerfileLines or dockerfilePath.",
        ),
        (
            '{"schemaVersion": 2, "imageName": "a", "dockerfilePath": "D"}',
            "(got imageName, dockerfilePath)",
        ),
        ('{"schemaVersion": 2, "templateId": "node/8"}', "templateId is not supported"),
        ('{"schemaVersion": 2, "imageName": "Bad Image"}', "imageName:"),
        ('{"schemaVersion": 2, "dockerfileLines": []}', "non-empty list of strings"),
        ('{"schemaVersion": 2, "dockerfileLines": ["FROM a\\nRUN b"]}', "single line"),
        ('{"schemaVersion": 2, "dockerfilePath": "/etc/passwd"}', "must be a relative path"),
        ('{"schemaVersion": 2, "dockerfilePath": "../outside"}', "leaves the source folder"),
    ],
)
def test_mistakes_are_explained(text, message):
    with pytest.raises(DefinitionError) as caught:
        parse(text)

    assert message in caught.value.message_dict["definition"][0]
    assert caught.value.message_dict["definition"][0].startswith("captain-definition: ")
