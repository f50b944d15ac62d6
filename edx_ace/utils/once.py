"""
A decorator for module-level functions whose result is computed once and then reused.

ACE uses it for the loaded channels and policies. Unlike a plain cache, the result can be
dropped with ``cache_clear()``; ACE does so when a relevant Django setting changes, so
``override_settings`` in tests reaches the plugins.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_UNSET: Any = object()


class OnceFunction(Protocol[T_co]):
    """A function of no arguments wrapped by :func:`once`, with ``cache_clear()``."""

    def __call__(self) -> T_co: ...

    def cache_clear(self) -> None: ...


def once(func: Callable[[], T]) -> OnceFunction[T]:
    """
    Wrap a function of no arguments so that it runs on the first call only.

    Later calls return the stored result without calling ``func``. The wrapper has a
    ``cache_clear()`` method that makes the next call run ``func`` again. If ``func``
    raises, nothing is stored and the next call tries again.

    Example::

        @once
        def load_config():
            with open("config.json") as config_file:
                return json.load(config_file)

        load_config()  # reads the file
        load_config()  # returns the same object without reading
    """
    lock = threading.Lock()
    state = {"value": _UNSET}

    @functools.wraps(func)
    def wrapper() -> T:
        value = state["value"]
        if value is not _UNSET:
            return value
        with lock:
            if state["value"] is _UNSET:
                state["value"] = func()
            return state["value"]

    def cache_clear() -> None:
        with lock:
            state["value"] = _UNSET

    wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    return cast(OnceFunction[T], wrapper)
