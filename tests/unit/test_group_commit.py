"""Group commit: callers that arrive while a group is being written share the next flush; each gets its own result
(or its own error) only after the flush that holds its item has returned."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from workflow.storage.groups import GroupCommit


class Flusher:
    """Records each group; each flush waits until the test lets it go, so the test sees who waits meanwhile."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.durable: set[int] = set()
        self.started = [threading.Event() for _ in range(2)]
        self.release = [threading.Event() for _ in range(2)]

    def __call__(self, items: list[int]) -> list[int | BaseException]:
        n = len(self.groups)
        self.groups.append(items)
        self.started[n].set()
        assert self.release[n].wait(30)
        self.durable.update(items)
        return [ValueError(f"odd {i}") if i % 7 == 6 else i * 10 for i in items]


def test_callers_waiting_during_a_flush_share_the_next_one_and_each_gets_its_result() -> None:
    flush = Flusher()
    group: GroupCommit[int, int] = GroupCommit(flush, max_group=64)
    answered: dict[int, object] = {}

    def call(i: int) -> None:
        try:
            answered[i] = group.submit(i)
        except ValueError as exc:
            answered[i] = str(exc)
        assert i in flush.durable  # nobody is answered before the flush that holds its item returned

    with ThreadPoolExecutor(21) as pool:
        first = pool.submit(call, 0)
        assert flush.started[0].wait(30)
        rest = [pool.submit(call, i) for i in range(1, 21)]
        # Every other caller is queued behind the flush in progress before it is let go.
        assert _wait_until(lambda: len(group._queue) == 20)
        flush.release[0].set()
        assert flush.started[1].wait(30)
        # While the second group is being written, none of its twenty callers has its answer.
        assert not _wait_until(lambda: len(answered) > 1, tries=50)
        flush.release[1].set()
        for f in [first, *rest]:
            f.result(30)
    assert flush.groups[0] == [0]
    assert sorted(flush.groups[1]) == list(range(1, 21)) and len(flush.groups) == 2  # one flush for twenty
    assert answered == {i: (f"odd {i}" if i % 7 == 6 else i * 10) for i in range(21)}
    assert group.groups == 2


def test_groups_are_capped_and_a_failed_flush_fails_each_of_its_callers() -> None:
    calls: list[list[int]] = []

    def flaky(items: list[int]) -> list[int]:
        calls.append(items)
        raise OSError("disco lleno")

    group: GroupCommit[int, int] = GroupCommit(flaky, max_group=3)
    with pytest.raises(OSError, match="disco lleno"):
        group.submit(1)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(group.submit, i) for i in range(8)]
        errors = [f.exception(30) for f in futures]
    assert all(isinstance(e, OSError) for e in errors)
    assert all(len(c) <= 3 for c in calls) and sorted(i for c in calls[1:] for i in c) == list(range(8))
    # The leader is released after a failure: the next caller is served.
    group._flush = lambda items: [i + 1 for i in items]
    assert group.submit(41) == 42


def _wait_until(condition, tries: int = 3000) -> bool:
    event = threading.Event()
    for _ in range(tries):
        if condition():
            return True
        event.wait(0.01)
    return False


def test_awaiting_callers_share_groups_led_by_the_writer_thread_and_each_gets_its_result() -> None:
    flush = Flusher()
    group: GroupCommit[int, int] = GroupCommit(flush, max_group=64)
    answered: dict[int, object] = {}

    async def call(i: int) -> None:
        try:
            answered[i] = await group.submit_async(i)
        except ValueError as exc:
            answered[i] = str(exc)
        assert i in flush.durable  # nobody is answered before the flush that holds its item returned

    async def main() -> None:
        first = asyncio.create_task(call(0))
        assert await asyncio.to_thread(flush.started[0].wait, 30)
        rest = [asyncio.create_task(call(i)) for i in range(1, 21)]
        await asyncio.sleep(0.05)  # the twenty queue behind the flush in progress; the loop stays free meanwhile
        assert len(group._queue) == 20 and not answered
        flush.release[0].set()
        assert await asyncio.to_thread(flush.started[1].wait, 30)
        await asyncio.sleep(0.05)
        assert list(answered) == [0]  # the second group's callers wait for its flush
        flush.release[1].set()
        await asyncio.wait_for(asyncio.gather(first, *rest), 30)

    asyncio.run(main())
    assert flush.groups[0] == [0] and sorted(flush.groups[1]) == list(range(1, 21)) and len(flush.groups) == 2
    assert answered == {i: (f"odd {i}" if i % 7 == 6 else i * 10) for i in range(21)}
    assert group.groups == 2
