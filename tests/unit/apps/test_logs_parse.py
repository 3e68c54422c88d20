"""Parsing and merging the engine's service log lines."""

from __future__ import annotations

from apps.logs import LogLine, lines, parse

RAW = (
    "2026-11-29T04:10:30.28265595Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,"
    "com.docker.swarm.task.id=l8b1e2uar07sf65j870bvl5hy GET /index.html\n"
)


def test_a_line_with_details_names_its_task():
    line = parse(RAW.rstrip("\n"))

    assert line.timestamp == "2026-11-29T04:10:30.28265595Z"
    assert line.task == "l8b1e2uar07sf65j870bvl5hy"
    assert line.text == "GET /index.html"
    assert line.render(timestamps=False) == "[l8b1e2ua] GET /index.html\n"
    assert line.render(timestamps=True).startswith("2026-11-29T04:10:30.28265595Z [l8b1e2ua]")


def test_order_compares_fractions_with_trimmed_zeros():
    early = LogLine("2026-01-01T00:00:01.5Z", "t", "")
    late = LogLine("2026-01-01T00:00:01.123456789Z", "t", "")

    assert late.order < early.order


def test_lines_split_across_chunks_are_joined():
    chunks = [RAW.encode()[:40], RAW.encode()[40:] + RAW.encode()]

    found = list(lines(chunks))

    assert [line.text for line in found] == ["GET /index.html", "GET /index.html"]
