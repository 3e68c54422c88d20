"""Turning compose text into plans (or refusals) without a database or an engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.compose import parse, translate, validate
from apps.compose.parse import ComposeError
from apps.compose.sources import Sources
from apps.compose.translate import StackPlan
from paas import policy

UNTRUSTED = policy.Rules(trusted=False, bind_prefixes=("/srv",), port_range=(10000, 20000))
TRUSTED = policy.Rules(trusted=True, bind_prefixes=("/srv",), port_range=(10000, 20000))


def plan(
    text: str,
    *,
    rules: policy.Rules = UNTRUSTED,
    variables: dict[str, str] | None = None,
    root: Path | None = None,
    ignore_unsupported: bool = False,
    stack: str = "shop",
) -> StackPlan:
    data = parse.parse(text, variables or {})
    checked = validate.check(data, ignore_unsupported=ignore_unsupported)
    return translate.translate(
        stack, checked, rules=rules, variables=variables or {}, sources=Sources(root)
    )


def refusal(text: str, **kwargs: object) -> dict[str, list[str]]:
    with pytest.raises(ComposeError) as caught:
        plan(text, **kwargs)  # type: ignore[arg-type]
    return caught.value.errors
