"""Small helpers shared by signing (:mod:`.sign`) and verifying (:mod:`.verify`).

pyHanko's synchronous entry points call ``asyncio.run``; :func:`_outside_event_loop` moves that
call to a worker thread when it is used inside a running event loop (async views), so both sync
and async callers work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

_PDF_HEADER = b"%PDF-"


def _outside_event_loop[T](function: Callable[[], T]) -> T:
    """Run ``function`` (which calls ``asyncio.run``) on a worker thread inside a running loop."""
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not in_loop:
        return function()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()
