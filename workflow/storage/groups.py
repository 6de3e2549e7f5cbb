"""Group commit: concurrent callers share one durable write, each told of its own outcome only once it is durable.

A caller hands its item to ``GroupCommit.submit`` and blocks. If no group is being written, it becomes the leader:
it takes every item waiting (its own among them, at most ``max_group``), calls ``flush`` once for all of them, hands
each waiting caller its result, and steps down; one of the callers that arrived meanwhile leads the next group.
While one group is being synced the next one gathers, so the busier the server, the larger the groups and the fewer
syncs per item — with no timer: a lone caller is flushed at once, never made to wait for company.

``flush`` gets the items in arrival order and returns one result per item, each a value or the exception that item
failed with; if ``flush`` itself raises, every item of the group fails with that exception. No thread of its own:
the callers' threads do the work, so there is nothing to start or stop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)
class _Waiting(Generic[T, R]):
    item: T
    wake: threading.Event = field(default_factory=threading.Event)
    done: bool = False  # its group's flush returned: result or error is set
    lead: bool = False  # woken to lead the next group
    result: R | None = None
    error: BaseException | None = field(default=None, repr=False)


class GroupCommit(Generic[T, R]):
    def __init__(self, flush: Callable[[list[T]], Sequence[R | BaseException]], *, max_group: int = 64) -> None:
        self._flush = flush
        self.max_group = max_group
        self._queue: list[_Waiting[T, R]] = []
        self._leading = False
        self._lock = threading.Lock()
        self.groups = 0  # groups flushed: for tests and benchmarks

    def submit(self, item: T) -> R:
        """``item``'s result once its group is durable; raises what its flush raised for it."""
        mine: _Waiting[T, R] = _Waiting(item)
        with self._lock:
            self._queue.append(mine)
            mine.lead = not self._leading  # no one is writing: lead a group now
            self._leading = True
        while not mine.done:
            if not mine.lead:
                mine.wake.wait()  # each waiter has its own event: a group's end wakes its callers and one leader
                mine.wake.clear()
                continue
            mine.lead = False
            with self._lock:  # the oldest items, ours among them unless more than max_group came before it
                group, self._queue = self._queue[: self.max_group], self._queue[self.max_group :]
            self._lead(group)
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]

    def _lead(self, group: list[_Waiting[T, R]]) -> None:
        try:
            try:
                results: Sequence[R | BaseException] = self._flush([w.item for w in group])
                if len(results) != len(group):
                    raise RuntimeError(f"flush returned {len(results)} results for {len(group)} items")
            except BaseException as exc:  # the whole group failed (a full disk, a lost database): tell each
                results = [exc] * len(group)
            for waiting, result in zip(group, results, strict=True):
                if isinstance(result, BaseException):
                    waiting.error = result
                else:
                    waiting.result = result
        finally:
            with self._lock:
                self.groups += 1
                for waiting in group:
                    waiting.done = True
                following = self._queue[0] if self._queue else None
                if following is not None:  # hand the lead to the oldest caller still waiting
                    following.lead = True
                else:
                    self._leading = False
            for waiting in group:
                waiting.wake.set()
            if following is not None:
                following.wake.set()
