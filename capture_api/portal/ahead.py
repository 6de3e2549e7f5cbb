"""The review desk's images of the apoyo leased ahead, prepared (decrypted, downscaled) on the server while the
reviewer decides the current one, so the next page's images come at once.

Why on the server and not with ``<link rel="prefetch">``: the images are a supporter's personal data and are served
``no-store``, so a browser may not keep a prefetched copy and fetches them again (Chromium does exactly that). Here
they stay in this process's memory only, bounded, each served once and dropped when its lease ends."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

log = logging.getLogger("convoca.portal")

Image = tuple[bytes, str]  # the bytes and their media type


class Ahead:
    def __init__(self, most: int = 32) -> None:
        self.most = most  # images kept at once (eight apoyos' worth)
        self.lock = threading.Lock()
        self.images: OrderedDict[tuple[int, str], tuple[Image, datetime]] = OrderedDict()
        self.pending: dict[int, Future[None]] = {}
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convoca-mesa-anticipada")

    def prepare(self, capture_id: int, parts: list[str], until: datetime, load: Callable[[int, str], Image]) -> None:
        """Load the apoyo's images in the background, to be taken before ``until`` (the lease's end)."""

        def run() -> None:
            try:
                for part in parts:
                    image = load(capture_id, part)
                    with self.lock:
                        self.images[(capture_id, part)] = (image, until)
                        while len(self.images) > self.most:
                            self.images.popitem(last=False)
            except Exception:  # the page asks again and gets the error itself; nothing lost
                log.warning("no se pudo preparar una imagen del apoyo %s", capture_id, exc_info=True)
            finally:
                with self.lock:
                    self.pending.pop(capture_id, None)

        with self.lock:
            if capture_id in self.pending or any(key[0] == capture_id for key in self.images):
                return  # already prepared, or on its way
            self.pending[capture_id] = self.worker.submit(run)

    def take(self, capture_id: int, part: str, now: datetime) -> Image | None:
        """The prepared image, once (waiting for it if it is on its way); None when it was not prepared, was
        taken, or its lease has ended."""
        with self.lock:
            on_its_way = self.pending.get(capture_id)
        if on_its_way is not None:
            on_its_way.result(timeout=30)
        with self.lock:
            found = self.images.pop((capture_id, part), None)
        if found is None or found[1] <= now:
            return None
        return found[0]

    def wait(self) -> None:
        """Until what was asked so far is prepared (for tests)."""
        self.worker.submit(lambda: None).result()
