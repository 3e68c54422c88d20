"""Which lines a followed stream's poll shows (apps.logs.Window)."""

from __future__ import annotations

from apps.logs import LATE_SECONDS, LogLine, Window, _epoch


def at(second: int, fraction: str, task: str, text: str) -> LogLine:
    return LogLine(f"2026-11-29T10:00:{second:02d}.{fraction}Z", task, text)


def since(window: Window) -> int:
    return window.since(default=0)


def test_a_line_that_reaches_the_engine_after_a_later_one_is_still_shown_once():
    window = Window()
    first = [at(10, "5", "a", "a1"), at(10, "9", "a", "a2")]
    assert window.unseen(first, since(window)) == first

    # Task b's line of 10.7 arrives only now, after a's line of 10.9 was shown.
    late = at(10, "7", "b", "b1")
    asked_from = since(window)
    assert asked_from == _epoch("2026-11-29T10:00:10Z") - LATE_SECONDS
    assert window.unseen([*first, late, at(11, "2", "a", "a3")], asked_from) == [
        late,
        at(11, "2", "a", "a3"),
    ]
    # The next poll returns the same seconds again: nothing is shown twice.
    assert window.unseen([*first, late, at(11, "2", "a", "a3")], since(window)) == []


def test_lines_older_than_the_tails_first_are_not_shown():
    tail = [at(20, "1", "a", "kept")]
    window = Window(floor=tail[0])
    for line in tail:
        window.shown(line)

    batch = [at(19, "0", "a", "cut by the tail"), tail[0], at(20, "3", "b", "new")]
    assert window.unseen(batch, since(window)) == [at(20, "3", "b", "new")]


def test_lines_before_the_window_are_forgotten():
    window = Window()
    window.unseen([at(1, "0", "a", "old"), at(30, "0", "a", "new")], 0)

    window.unseen([at(30, "0", "a", "new")], since(window))

    assert window.recent == {at(30, "0", "a", "new")}
