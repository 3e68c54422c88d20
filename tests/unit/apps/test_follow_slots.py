"""The cap on followed log streams: a team's share, the server's limit, slots given back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.logs import Followed, FollowSlots, TooManyStreams


def test_a_team_holds_half_the_slots_and_the_server_its_limit():
    slots = FollowSlots()
    slots.take(1, 4)
    slots.take(1, 4)
    with pytest.raises(TooManyStreams, match="Your team has 2 followed log stream"):
        slots.take(1, 4)
    slots.take(2, 4)
    slots.take(2, 4)
    with pytest.raises(TooManyStreams, match="4 followed log streams are open on this server"):
        slots.take(3, 4)
    assert slots.open_streams() == 4
    assert slots.open_streams(1) == 2


def test_a_limit_of_one_lets_one_team_follow():
    slots = FollowSlots()
    slots.take(1, 1)
    with pytest.raises(TooManyStreams):
        slots.take(2, 1)


def test_closing_the_stream_gives_its_slot_back_once():
    slots = FollowSlots()
    closed: list[bool] = []

    def lines() -> Iterator[str]:
        try:
            yield "a\n"
            yield "b\n"
        finally:
            closed.append(True)

    stream = Followed(lines(), slots.take(7, 2))
    assert next(iter(stream)) == "a\n"
    assert slots.open_streams(7) == 1

    stream.close()
    stream.close()

    assert closed == [True]
    assert slots.open_streams(7) == 0
    assert slots.open_streams() == 0
    slots.take(7, 2)  # the team may follow again


def test_a_stream_never_started_gives_its_slot_back_when_closed():
    slots = FollowSlots()
    stream = Followed(iter(["x\n"]), slots.take(1, 2))

    stream.close()

    assert slots.open_streams() == 0
