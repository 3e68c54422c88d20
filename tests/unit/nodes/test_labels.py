"""Node labels an operator may set (they become placement constraints)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from nodes.labels import label_problems, labels_text, parse_labels_text, validate_labels


def test_it_accepts_ordinary_labels():
    assert validate_labels({"zone": "eu-1", "disk.ssd": "true"}) == {
        "zone": "eu-1",
        "disk.ssd": "true",
    }


@pytest.mark.parametrize(
    ("labels", "words"),
    [
        ({"has space": "x"}, "letters, digits"),
        ({"zone": "a b"}, "no spaces"),
        ({"zone": "a==b"}, "no spaces"),
        ({"com.docker.x": "1"}, "reserved"),
        ({"berth.namespace": "x"}, "reserved"),
        ({"-zone": "x"}, "starting and ending"),
        ({f"k{i}": "v" for i in range(51)}, "At most 50"),
    ],
)
def test_it_rejects_labels_that_cannot_be_placement_constraints(labels, words):
    with pytest.raises(ValidationError) as caught:
        validate_labels(labels)
    assert words in " ".join(caught.value.message_dict["labels"])


def test_it_rejects_a_list_instead_of_an_object():
    assert label_problems(["zone=a"]) == ["Labels must be an object of key: value pairs."]


def test_the_text_form_reads_key_value_lines_and_round_trips():
    text = "# placement\nzone = eu-1\n\ndisk=ssd\n"
    labels = parse_labels_text(text)
    assert labels == {"zone": "eu-1", "disk": "ssd"}
    assert parse_labels_text(labels_text(labels)) == labels


def test_the_text_form_names_the_bad_line():
    with pytest.raises(ValidationError) as caught:
        parse_labels_text("zone=a\nnot a pair\n")
    assert caught.value.message_dict["labels"] == ["Line 2: write key=value."]
