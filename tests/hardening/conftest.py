"""Fixtures of the hardening tests: a fresh language warning counter and the echo message."""

from __future__ import annotations

import pytest

from edx_ace import language


@pytest.fixture(autouse=True)
def _fresh_language_counts():
    """Start each test with no unsupported language seen, so its first warning is logged."""
    language.reset_counts()
    yield
    language.reset_counts()
