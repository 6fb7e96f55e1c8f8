"""read_file and list_dir: the deny-list, the data directory wherever it is, bounded reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from axo_tui.core.tools import ToolContext, ToolError, ToolRegistry
from axo_tui.core.tools.builtins import BUILTIN_TOOLS, MAX_READ_BYTES

ALL = [tool.name for tool in BUILTIN_TOOLS]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / ".env").write_text("OPENAI_API_KEY=sk-secret\n")
    (root / ".env.local").write_text("TOKEN=sk-local\n")
    (root / "notes.txt").write_text("public notes\n")
    (root / "docs").mkdir()
    (root / "state").mkdir()
    (root / "state" / "axo.db").write_text("sk-journal")
    return root


async def call(project: Path, tool: str, arguments: dict[str, object]) -> str:
    ctx = ToolContext("a", None, project, private_dirs=(project / "state",))
    return await ToolRegistry(BUILTIN_TOOLS).call(tool, dict(arguments), ctx, allow_list=ALL)


async def refused(project: Path, raw: str) -> str:
    with pytest.raises(ToolError) as caught:
        await call(project, "read_file", {"path": raw})
    assert "sk-" not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [".env", ".env.local", ".ENV", "docs/../.env", "./.env", ".git/config", "id_rsa"],
)
async def test_secrets_are_refused_by_name(project: Path, raw: str) -> None:
    (project / ".git").mkdir()
    (project / ".git" / "config").write_text("url = https://user:sk-git@host\n")
    (project / "id_rsa").write_text("sk-private-key")
    assert "refused" in await refused(project, raw)


async def test_a_symlink_to_a_secret_is_refused(project: Path) -> None:
    (project / "innocent.txt").symlink_to(project / ".env")
    (project / "docs" / "up").symlink_to(project)
    assert "refused" in await refused(project, "innocent.txt")
    assert "refused" in await refused(project, "docs/up/.env")


async def test_the_data_directory_is_refused_wherever_data_dir_points(project: Path) -> None:
    (project / "alias").symlink_to(project / "state")
    for raw in ("state/axo.db", str(project / "state" / "axo.db"), "alias/axo.db", "state"):
        assert "refused" in await refused(project, raw)
    listing = await call(project, "list_dir", {"path": "."})
    assert "state/" not in listing.splitlines() and "alias/" not in listing.splitlines()
    with pytest.raises(ToolError, match="refused"):
        await call(project, "list_dir", {"path": "alias"})


async def test_paths_outside_the_project_stay_refused(project: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("sk-outside")
    assert "outside the project" in await refused(project, "../outside.txt")
    assert "outside the project" in await refused(project, str(tmp_path / "outside.txt"))


async def test_list_dir_hides_secrets_and_says_so(project: Path) -> None:
    listing = (await call(project, "list_dir", {})).splitlines()
    assert listing[:2] == ["docs/", "notes.txt"]
    assert ".env" not in listing and ".env.local" not in listing and "state/" not in listing
    assert listing[-1] == "[3 entries hidden: tools never see secrets or axo's state]"


async def test_list_dir_says_when_it_stops_at_500_entries(project: Path) -> None:
    many = project / "many"
    many.mkdir()
    for i in range(503):
        (many / f"f{i:04d}").touch()
    listing = (await call(project, "list_dir", {"path": "many"})).splitlines()
    assert listing[0] == "f0000" and listing[499] == "f0499"
    assert listing[500:] == ["[showing the first 500 of 503 entries by name]"]


async def test_a_newline_in_a_file_name_cannot_fake_an_entry(project: Path) -> None:
    (project / "docs" / "a\n.env").touch()
    assert (await call(project, "list_dir", {"path": "docs"})).splitlines() == ["'a\\n.env'"]


async def test_a_large_file_is_cut_and_can_be_read_on_by_offset(project: Path) -> None:
    # Three-byte characters, so the 64 KiB cut falls inside one of them.
    text = "€" * (MAX_READ_BYTES // 3 * 2 + 7)
    (project / "big.txt").write_text(text, encoding="utf-8")
    parts: list[str] = []
    offset = 0
    while True:
        result = await call(project, "read_file", {"path": "big.txt", "offset": offset})
        body, _, note = result.partition("\n[cut: ")
        parts.append(body)
        if not note:
            break
        assert f"of {len(text.encode())} bytes" in note
        offset = int(note.split("offset=")[1].split(" ")[0])
    assert len(parts) == 3
    assert "".join(parts) == text


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
async def test_read_file_reads_only_what_it_returns(project: Path) -> None:
    with (project / "huge.log").open("wb") as f:
        f.write(b"log line\n" * (2 * MAX_READ_BYTES // 9))
        f.truncate(256 * 1024 * 1024)  # sparse: 256 MiB on paper, hardly any on disk

    def bytes_read() -> int:
        fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
        return int(fields["rchar"])

    before = bytes_read()
    result = await call(project, "read_file", {"path": "huge.log"})
    assert bytes_read() - before < 4 * MAX_READ_BYTES
    assert result.startswith("log line\n")
    assert f"[cut: showed bytes 0-{MAX_READ_BYTES} of 268435456 bytes" in result


async def test_read_file_refuses_binary_fifo_and_bad_arguments(project: Path) -> None:
    (project / "blob.bin").write_bytes(b"\x00\x01\x02")
    os.mkfifo(project / "pipe")
    with pytest.raises(ToolError, match="binary file"):
        await call(project, "read_file", {"path": "blob.bin"})
    with pytest.raises(ToolError, match="not a regular file"):
        await call(project, "read_file", {"path": "pipe"})
    with pytest.raises(ToolError, match="'path' must be a string"):
        await call(project, "read_file", {"path": ["notes.txt"]})
    with pytest.raises(ToolError, match="'offset' must be a whole number"):
        await call(project, "read_file", {"path": "notes.txt", "offset": -1})
    with pytest.raises(ToolError, match="past the end"):
        await call(project, "read_file", {"path": "notes.txt", "offset": 10_000})
    with pytest.raises(ToolError, match="without NUL"):
        await call(project, "read_file", {"path": "notes.txt\x00.env"})
    assert await call(project, "read_file", {"path": "notes.txt"}) == "public notes\n"
