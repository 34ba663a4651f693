"""The least-recently-used store that replaces st.cache_data where work reports progress."""

from __future__ import annotations

import pytest

from explorer.app.memo import Memo


def test_memo_computes_once_and_drops_the_least_recent() -> None:
    memo: Memo[int] = Memo(max_entries=2)
    calls = []

    def compute(v: int):
        return lambda: calls.append(v) or v * 10

    assert memo.get_or_compute("a", compute(1)) == 10
    assert memo.get_or_compute("a", compute(99)) == 10  # a hit does not recompute
    memo.get_or_compute("b", compute(2))
    memo.get("a")  # "a" is now the most recent; "b" goes first
    memo.get_or_compute("c", compute(3))
    assert memo.get("b") is None and memo.get("a") == 10 and memo.get("c") == 30
    assert calls == [1, 2, 3] and len(memo) == 2


def test_memo_needs_room_for_one_entry() -> None:
    with pytest.raises(ValueError):
        Memo(max_entries=0)
