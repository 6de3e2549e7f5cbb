"""Group commit: concurrent callers share one durable write, each told of its own outcome only once it is durable.

A caller hands its item to ``GroupCommit.submit`` and blocks. If no group is being written, it becomes the leader:
it takes every item waiting (its own among them, at most ``max_group``), calls ``flush`` once for all of them, hands
each waiting caller its result, and steps down; one of the callers that arrived meanwhile leads the next group.
While one group is being synced the next one gathers, so the busier the server, the larger the groups and the fewer
syncs per item — with no timer: a lone caller is flushed at once, never made to wait for company.

``flush`` gets the items in arrival order and returns one result per item, each a value or the exception that item
failed with; if ``flush`` itself raises, every item of the group fails with that exception. A blocking caller's
thread does the work. An ``await``-ing caller (``submit_async``, on an event loop) never leads in its own thread:
its groups are led by one writer thread, started on first use, so a request waiting for its group holds no thread
at all and the event loop, not 32 blocked threads, does everything but the flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
    future: asyncio.Future[R] | None = None  # an awaiting caller's, settled on its loop instead of ``wake``


def _settle_all(waiters: list[_Waiting[T, R]]) -> None:
    """On the awaiting callers' loop: each its answer, unless it stopped waiting (its request was cancelled)."""
    for waiting in waiters:
        future = waiting.future
        assert future is not None
        if future.done():
            continue
        if waiting.error is not None:
            future.set_exception(waiting.error)
        else:
            future.set_result(waiting.result)  # type: ignore[arg-type]


class GroupCommit(Generic[T, R]):
    def __init__(self, flush: Callable[[list[T]], Sequence[R | BaseException]], *, max_group: int = 64) -> None:
        self._flush = flush
        self.max_group = max_group
        self._queue: list[_Waiting[T, R]] = []
        self._leading = False
        self._lock = threading.Lock()
        self._writer: ThreadPoolExecutor | None = None  # leads the groups of awaiting callers
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
            self._lead_next()  # the oldest items, ours among them unless more than max_group came before it
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]

    async def submit_async(self, item: T) -> R:
        """``submit`` for a coroutine: the same queue and groups, but the caller's loop is free while it waits.
        If the caller is cancelled, its item is still flushed (its result is dropped)."""
        mine: _Waiting[T, R] = _Waiting(item, future=asyncio.get_running_loop().create_future())
        with self._lock:
            self._queue.append(mine)
            lead = not self._leading
            self._leading = True
        if lead:
            self._lead_for_coroutine()
        return await mine.future  # type: ignore[misc]

    def _lead_for_coroutine(self) -> None:
        """Lead the next group in the writer thread (one leader at a time: one thread is enough)."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="convoca-group-commit")
        self._writer.submit(self._lead_next)

    def _lead_next(self) -> None:
        """Take the oldest waiting items (at most ``max_group``) and flush them."""
        with self._lock:
            group, self._queue = self._queue[: self.max_group], self._queue[self.max_group :]
        self._lead(group)

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
                if following is not None:  # hand the lead to the oldest caller still waiting, or to the writer
                    following.lead = following.future is None
                else:
                    self._leading = False
            settle: dict[asyncio.AbstractEventLoop, list[_Waiting[T, R]]] = {}
            for waiting in group:
                if waiting.future is None:
                    waiting.wake.set()
                else:
                    settle.setdefault(waiting.future.get_loop(), []).append(waiting)
            for loop, waiters in settle.items():  # one wake-up of each loop for the whole group
                with contextlib.suppress(RuntimeError):  # that loop is closed: no one is waiting there any more
                    loop.call_soon_threadsafe(_settle_all, waiters)
            if following is not None:
                if following.future is None:
                    following.wake.set()
                else:
                    self._lead_for_coroutine()
