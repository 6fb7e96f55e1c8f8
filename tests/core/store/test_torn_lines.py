"""A line torn by a full disk or a kill is ended before the next append, and skipped with a
warning by readers: the entries around it are never lost with it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from axo_tui.core.memory.activity_log import ActivityLog, DayRange
from axo_tui.core.memory.pending import PendingSpool

# Appends entries to an activity log until the file-size limit (a full disk, for this
# process) refuses: the last write lands in part, as on a real full disk.
FILL_THE_DISK = """
import resource, sys
from pathlib import Path
from axo_tui.core.memory.activity_log import ActivityLog

log = ActivityLog(Path(sys.argv[1]))
resource.setrlimit(resource.RLIMIT_FSIZE, (5000, 5000))  # Python ignores SIGXFSZ: EFBIG
try:
    for i in range(1000):
        log.append("a", "user", content=f"entry {i} " + "x" * 97)
except OSError as exc:
    print("full after", i, exc.errno, flush=True)
"""


def test_the_next_process_does_not_glue_its_entry_to_a_torn_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "daily"
    filled = subprocess.run(
        [sys.executable, "-c", FILL_THE_DISK, str(root)], capture_output=True, text=True
    )
    assert filled.stdout.startswith("full after"), filled.stdout + filled.stderr
    written = int(filled.stdout.split()[2])
    day = dt.date.today()
    path = ActivityLog(root).day_path("a", day)
    assert not path.read_bytes().endswith(b"\n")  # the disk tore the last line

    after = ActivityLog(root)  # the next process, once space is free again
    after.append("a", "user", content="after the disk was freed")
    after.close()
    with caplog.at_level(logging.WARNING):
        entries = ActivityLog(root).read("a", DayRange(day, day))
    contents = [entry["content"] for entry in entries]
    assert contents[-1] == "after the disk was freed"
    assert contents[:-1] == [f"entry {i} " + "x" * 97 for i in range(written)]
    torn_line = written + 1
    assert f"{path}:{torn_line}: skipped a torn or damaged line" in caplog.text


def test_a_whole_last_line_gets_no_extra_newline(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path)
    log.append("a", "user", content="one")
    log.close()
    log = ActivityLog(tmp_path)
    log.append("a", "user", content="two")
    log.close()
    path = log.day_path("a", dt.date.today())
    assert path.read_bytes().count(b"\n") == 2 and b"\n\n" not in path.read_bytes()


def test_a_forget_is_not_lost_on_a_spool_line_torn_by_another_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    # Another process spooled two entries and died writing a third (a full disk, a kill).
    lines = [json.dumps({"id": i, "agent_id": "a", "text": f"text {i}"}) for i in ("m1", "m2")]
    torn = json.dumps({"id": "m3", "agent_id": "a", "text": "text m3"})[:20]
    other = spool_dir / "m1.jsonl"
    other.write_text("\n".join(lines) + "\n" + torn)

    spool = PendingSpool(spool_dir)
    spool.forget(["m1"])  # `axo memory forget`: its tombstone goes into the other file
    spool.close()
    with caplog.at_level(logging.WARNING):
        left = [entry.id for entry in PendingSpool(spool_dir).load()]
    assert left == ["m2"]  # m1 stays forgotten; the torn m3 is skipped
    assert f"{other}:3: skipped a torn or damaged line" in caplog.text
