"""``-o FILE`` (and the REPL's ``:save``, the magic's ``graph --output``) writes the whole
file or changes nothing: a failed write leaves the old file intact and no temporary file."""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from autograph.atomic import write_atomically
from autograph.cli import main

OLD = b"the old picture, which a failed write must not destroy\n"
# A picture of a few kilobytes: past the file-size limit set below.
PROGRAM = "; ".join(f"a{i} = sin(a{i - 1}) * x" for i in range(1, 60)).replace("a0", "x")


def _small_file_limit() -> None:
    """In the child: files may grow to 1,000 bytes, and passing that is an error, not a kill."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000, resource.RLIM_INFINITY))


@pytest.mark.parametrize("form", ["dot", "mermaid", "txt"])
def test_a_write_cut_short_leaves_the_old_file_intact_and_no_temporary_file(
    tmp_path: Path, form: str
) -> None:
    target = tmp_path / f"picture.{form}"
    target.write_bytes(OLD)
    done = subprocess.run(
        [sys.executable, "-m", "autograph", "graph", PROGRAM, "-o", str(target)],
        capture_output=True,
        text=True,
        preexec_fn=_small_file_limit,
        check=False,
    )
    assert done.returncode != 0, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: cannot write"), done.stderr
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_a_successful_write_replaces_the_file_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    target.write_bytes(OLD)
    target.chmod(0o640)
    with pytest.raises(SystemExit) as exited:
        main(["graph", "x*y + 1", "-o", str(target)])
    assert exited.value.code == 0
    assert target.read_text().startswith("digraph")
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]


def test_a_new_file_gets_the_permissions_the_umask_allows(tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.txt", b"text\n")
    finally:
        os.umask(before)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644


def test_a_symbolic_link_keeps_pointing_at_the_file_it_names(tmp_path: Path) -> None:
    real = tmp_path / "real.dot"
    real.write_bytes(OLD)
    link = tmp_path / "link.dot"
    link.symlink_to(real)
    write_atomically(link, b"digraph {}\n")
    assert link.is_symlink()
    assert real.read_bytes() == b"digraph {}\n"


def test_a_device_is_written_directly_not_replaced() -> None:
    write_atomically("/dev/null", b"nothing\n")
    assert Path("/dev/null").is_char_device()


def test_a_full_disk_during_the_write_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    target.write_bytes(OLD)
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("autograph.atomic.os.fsync", side_effect=full), pytest.raises(OSError):
        write_atomically(target, b"digraph { a -> b }\n")
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]


def test_the_repl_save_is_atomic_too(tmp_path: Path) -> None:
    from autograph.session import Session

    session = Session()
    session.run("f = x^2")
    target = tmp_path / "f.ag"
    target.write_bytes(OLD)
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("autograph.atomic.os.fsync", side_effect=full):
        assert "No space left" in session.run(f":save {target}")
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["f.ag"]
    session.run(f":save {target}")
    assert target.read_text() == "f = x^2\n"


def test_the_magics_graph_output_is_written_atomically(tmp_path: Path) -> None:
    from autograph.errors import InputError
    from autograph.magic import run

    target = tmp_path / "g.dot"
    target.write_bytes(OLD)
    full = OSError(errno.ENOSPC, "No space left on device")
    with (
        mock.patch("autograph.atomic.os.fsync", side_effect=full),
        pytest.raises(InputError, match="No space left"),
    ):
        run(["graph", "--format", "dot", "--output", str(target)], "f = x*y")
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]
    run(["graph", "--format", "dot", "--output", str(target)], "f = x*y")
    assert target.read_text().startswith("digraph")
