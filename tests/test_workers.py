import os

import pytest

from assistant.workers import ForkedWorkers


def _squares(items: list[int]) -> list[tuple[int, int]]:
    return [(os.getpid(), i * i) for i in items]


def test_batches_are_split_over_forked_processes_and_keep_their_order() -> None:
    batches = [list(range(40)), list(range(40, 45)), list(range(45, 100))]
    with ForkedWorkers(_squares, workers=2, min_items=10) as forked:
        out = list(forked.imap(batches))
    assert [len(b) for b in out] == [40, 5, 55]
    assert [v for batch in out for _, v in batch] == [i * i for i in range(100)]
    assert os.getpid() not in {pid for batch in out for pid, _ in batch}


def test_small_work_stays_in_process() -> None:
    with ForkedWorkers(_squares, workers=2, min_items=10) as forked:
        assert {pid for pid, _ in next(forked.imap([list(range(15))]))} == {os.getpid()}
        assert {pid for chunk in forked.map([[1, 2], [3]]) for pid, _ in chunk} == {os.getpid()}


def test_one_pool_at_a_time() -> None:
    with ForkedWorkers(_squares, workers=2, min_items=1) as first:
        list(first.map([[1], [2]]))
        with pytest.raises(RuntimeError, match="another"), ForkedWorkers(_squares, workers=2, min_items=1) as second:
            list(second.map([[1], [2]]))
    with ForkedWorkers(_squares, workers=2, min_items=1) as third:  # closed pools free the slot
        assert [v for chunk in third.map([[1], [2]]) for _, v in chunk] == [1, 4]
