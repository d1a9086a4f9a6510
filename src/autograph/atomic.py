"""Writing a file the user named (``-o FILE``, ``:save FILE``) all at once or not at all.

The bytes go to a new file beside the target, which replaces the target only
once every byte is on disk (``os.replace`` is atomic on one file system). A
write that fails (a full disk, a file-size limit, an interrupted command) leaves
the old file as it was and no temporary file behind. What is not a regular
file (``/dev/null``, ``/dev/stdout``, a FIFO) is written directly: nothing can
replace it, and a reader may be waiting on it. A symbolic link keeps pointing
where it did: the file it points to is the one replaced.
"""

from __future__ import annotations

import os
import stat
from contextlib import suppress
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``: the whole of it, or (on an ``OSError``) nothing changed."""
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "wb") as file:
            file.write(data)
        return
    # Beside the target, so the rename stays on one file system; short enough for any name.
    partial = target.with_name(f".{target.name[:200]}.{os.urandom(4).hex()}.partial")
    # A new file, its permissions what the umask allows (0o666 & ~umask), as open() makes.
    handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:  # an existing file keeps its permissions
            os.chmod(partial, stat.S_IMODE(mode))
        os.replace(partial, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(partial)
        raise
