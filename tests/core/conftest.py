"""Fixtures shared by the core's tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from axo_tui.core.store.journal import Journal


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    """A journal in group mode on the test's loop; closed after the test, on its real
    connection again should the test have swapped in a failing one."""
    grouped = Journal(tmp_path / "axo.db")
    grouped.group_commits(asyncio.get_running_loop())
    real = grouped._db
    yield grouped
    grouped._db = real
    grouped.close()
