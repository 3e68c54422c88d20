"""Reading compose files: YAML and variable interpolation, with the path of each error."""

from __future__ import annotations

import pytest

from apps.compose.parse import ComposeError, parse, parse_env_file


def errors_of(text: str, variables: dict[str, str] | None = None) -> dict[str, list[str]]:
    with pytest.raises(ComposeError) as caught:
        parse(text, variables or {})
    return caught.value.errors


@pytest.mark.parametrize(
    ("value", "variables", "expected"),
    [
        ("${TAG}", {"TAG": "1.2"}, "1.2"),
        ("$TAG-x", {"TAG": "1.2"}, "1.2-x"),
        ("${TAG}", {}, ""),
        ("${TAG:-latest}", {}, "latest"),
        ("${TAG:-latest}", {"TAG": ""}, "latest"),
        ("${TAG-latest}", {"TAG": ""}, ""),
        ("${TAG:+set}", {"TAG": "x"}, "set"),
        ("${TAG:+set}", {}, ""),
        ("${A:-${B:-deep}}", {}, "deep"),
        ("price $$5", {}, "price $5"),
        ("$${NOT}", {}, "${NOT}"),
    ],
)
def test_it_interpolates_like_compose(value, variables, expected):
    data = parse(f"services:\n  web:\n    image: '{value}'\n", variables)

    assert data["services"]["web"]["image"] == expected


def test_a_required_variable_refuses_the_file_with_its_message_and_path():
    errors = errors_of("services:\n  web:\n    image: ${X:?need X}\n")

    assert errors == {"services.web.image": ["Variable X is required: need X"]}


def test_a_required_variable_without_a_message_says_it_must_be_set():
    errors = errors_of("services:\n  web:\n    environment: ['A=${X?}']\n")

    assert errors == {"services.web.environment[0]": ["Variable X is required: it must be set"]}


def test_an_unclosed_brace_is_a_clear_error():
    errors = errors_of("services:\n  web:\n    image: ${X\n")

    assert errors == {"services.web.image": ["Invalid interpolation in '${X': a { is not closed."]}


def test_a_lone_dollar_asks_for_a_double_one():
    errors = errors_of("services:\n  web:\n    command: echo $ 5\n")

    assert errors == {
        "services.web.command": ["Invalid interpolation in 'echo $ 5': write $$ for a literal $."]
    }


def test_bad_yaml_says_where():
    errors = errors_of("services:\n  web: [unclosed\n")

    assert list(errors) == ["compose"]
    assert errors["compose"][0].startswith("Not valid YAML:")
    assert "line 3" in errors["compose"][0]


def test_a_list_at_the_top_is_refused():
    assert errors_of("- a\n- b\n") == {
        "compose": ["The compose file must be a mapping with services."]
    }


def test_an_alias_bomb_is_cut_short():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 8):
        bomb += (
            f"l{level}: &l{level} ["
            + ", ".join([f"*{'a' if level == 1 else f'l{level - 1}'}"] * 10)
            + "]\n"
        )

    errors = errors_of(bomb)

    assert errors == {"compose": ["The compose file has more than 20000 values."]}


def test_env_files_read_like_dotenv():
    text = "# comment\nexport A=1\nB='two words'\nC=\"x\"\nD=plain # note\n\n"

    assert parse_env_file(text) == {"A": "1", "B": "two words", "C": "x", "D": "plain"}


def test_a_broken_env_line_names_its_number():
    with pytest.raises(ComposeError) as caught:
        parse_env_file("A=1\nnot a pair\n", path=".env")

    assert caught.value.errors == {".env": ["Line 2 is not NAME=value."]}
