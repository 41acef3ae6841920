"""Run a Hypothesis property whose every example is a coroutine, on the test's own event loop.

The app under test, its database pool and the HTTP client belong to the running test's loop.
Hypothesis drives examples synchronously, so it runs in a worker thread and hands each example's
coroutine back to that loop, waiting for the result; the loop stays free meanwhile. A failing
example raises in the thread, Hypothesis shrinks it, and the smallest one fails the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import given, seed, settings
from hypothesis import strategies as st


async def run_examples(
    strategy: st.SearchStrategy[Any],
    example: Callable[[Any], Awaitable[None]],
    hypothesis_settings: settings,
    random_seed: int | None,
) -> None:
    """Run ``example`` on every value Hypothesis draws from ``strategy`` (from ``random_seed``,
    or a fresh random start when None); raise the smallest failing one."""
    loop = asyncio.get_running_loop()

    @hypothesis_settings
    @given(strategy)
    def property_(value: Any) -> None:
        asyncio.run_coroutine_threadsafe(example(value), loop).result()

    if random_seed is not None:
        property_ = seed(random_seed)(property_)
    await asyncio.to_thread(property_)
