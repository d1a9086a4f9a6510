"""Reading samples for ``--data``: one file or many, in any of the formats below.

The format is told by the file's first bytes where it has a signature (Parquet,
Arrow IPC/Feather, NumPy ``.npy``, ``.npz``), else by its extension
(``.jsonl``/``.ndjson`` for JSON Lines), else it is CSV or TSV. A directory is
all the data files in it, and a glob (``runs/*.parquet``) all the files it
matches: sorted by name, read one after the other as one dataset. Every reader
yields chunks, a float64 column per name, so memory stays bounded whatever the
size of the data.
"""

from __future__ import annotations

import bisect
import glob
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

from autograph.data.csv import BLOCK, FAST_MIN, DataFile
from autograph.data.source import Chunk, FloatArray, Part, Source
from autograph.errors import InputError, shorten
from autograph.quoting import PATH

__all__ = [
    "BLOCK",
    "FAST_MIN",
    "Chunk",
    "DataFile",
    "Dataset",
    "FloatArray",
    "Part",
    "Source",
    "open_data",
    "open_part",
    "with_part_progress",
    "with_progress",
    "write_values",
]

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".feather": "arrow",
    ".arrow": "arrow",
    ".ipc": "arrow",
    ".npy": "npy",
    ".npz": "npz",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
"""The extensions a directory's data files have; other files in it are skipped."""

_SIGNATURES = [
    (b"PAR1", "parquet"),
    (b"ARROW1", "arrow"),
    (b"\x93NUMPY", "npy"),
    (b"PK\x03\x04", "npz"),
]


def detect(path: str) -> str:
    """The format of the file at ``path``: by its first bytes, else by its extension.

    A pipe (``--data <(command)``, a FIFO) or a device is told by its extension
    only: its first bytes, once read, could not be read again.
    """
    by_name = "jsonl" if EXTENSIONS.get(Path(path).suffix.lower()) == "jsonl" else "csv"
    if Path(path).exists() and not Path(path).is_file():
        return by_name
    try:
        with open(path, "rb") as probe:
            head = probe.read(8)
    except OSError as err:
        raise InputError("file", f"cannot read {shorten(path, PATH)!r}: {err.strerror}") from None
    for signature, format in _SIGNATURES:
        if head.startswith(signature):
            return format
    return by_name


def open_file(path: str, format: str | None = None, max_line: int | None = None) -> Source:
    """One file of samples, in its format (told by ``detect`` if not given).

    ``max_line`` bounds a line of a text format (``autograph.limits.line_bytes``).
    """
    format = format or detect(path)
    if format == "parquet":
        from autograph.data.arrow import ParquetSource

        return ParquetSource(path)
    if format == "arrow":
        from autograph.data.arrow import ArrowSource

        return ArrowSource(path)
    if format in ("npy", "npz"):
        from autograph.data.arrays import NumpySource

        return NumpySource(path, format)
    try:
        stream = open(path, "rb")  # noqa: SIM115 - the source closes it
    except OSError as err:
        raise InputError("file", f"cannot read {shorten(path, PATH)!r}: {err.strerror}") from None
    try:
        size = Path(path).stat().st_size if Path(path).is_file() else None
        if format == "jsonl":
            from autograph.data.jsonl import JsonLinesSource

            return JsonLinesSource(stream, path, size, max_line)
        return DataFile(stream, path, size, max_line)
    except BaseException:
        stream.close()
        raise


def files_of(path: str) -> list[str]:
    """The files a ``--data`` path names: itself, a directory's data files, or a glob's matches."""
    if path == "-":
        return [path]
    where = Path(path)
    try:
        where.stat()
    except FileNotFoundError:
        pass
    except OSError as err:  # a name too long, a loop of links: not a file that can be read
        raise InputError("file", f"cannot read {shorten(path, PATH)!r}: {err.strerror}") from None
    if where.is_dir():
        found = sorted(
            str(p)
            for p in where.iterdir()
            if p.is_file() and p.suffix.lower() in EXTENSIONS and not p.name.startswith(".")
        )
        if not found:
            known = ", ".join(sorted(set(EXTENSIONS)))
            raise InputError(
                "file", f"the directory {shorten(path, PATH)!r} has no data files ({known})"
            )
        return found
    if where.exists() or not glob.has_magic(path):
        return [path]
    found = sorted(p for p in glob.glob(path, recursive=True) if Path(p).is_file())
    if not found:
        raise InputError("file", f"no file matches {shorten(path, PATH)!r}")
    return found


def open_data(path: str | Path, max_line: int | None = None) -> Source:
    """Open ``--data``: a file, a directory or a glob; ``-`` is standard input (CSV).

    A line of a text format longer than ``max_line`` bytes (by default
    ``autograph.limits.line_bytes()``, 16 MiB) is refused. Raises ``InputError``
    if nothing can be read.
    """
    if str(path) == "-":
        return DataFile(sys.stdin.buffer, "standard input", max_line=max_line)
    files = files_of(str(path))
    if len(files) == 1 and files[0] == str(path):
        return open_file(files[0], max_line=max_line)
    return Dataset(str(path), files, max_line)


def open_part(part: Part) -> Source:
    """The file a part belongs to, opened in its format (in whichever process reads it)."""
    return open_file(part.path, part.format)


class Dataset(Source):
    """Many files read as one dataset, one after the other in sorted order.

    The first file's columns are the dataset's; every file must have the
    columns the program uses (extra ones are skipped). Rows are counted across
    the files; a message names the file and the row within it.
    """

    def __init__(self, label: str, files: list[str], max_line: int | None = None) -> None:
        super().__init__()
        self.label, self.files, self.max_line = label, files, max_line
        sizes = [Path(f).stat().st_size for f in files]
        self.size = sum(sizes)
        self.current = open_file(files[0], max_line=max_line)
        self.names, self.format = self.current.names, "dataset"
        self.starts: list[int] = []
        """The first row (0-based, across the dataset) of each file opened so far."""
        self.opened: list[Source] = []

    def close(self) -> None:
        self.current.close()

    def where(self, row: int) -> str:
        index = bisect.bisect_right(self.starts, row - 1) - 1
        return self.opened[index].where(row - self.starts[index])

    def chunks(
        self, columns: Sequence[str] | None = None, part: Part | None = None
    ) -> Iterator[Chunk]:
        """Every file's rows in turn, ``columns`` (by default the first file's) from each."""
        wanted = list(self.names) if columns is None else list(columns)
        done_bytes = 0
        for index, path in enumerate(self.files):
            source = self.current if index == 0 else open_file(path, max_line=self.max_line)
            self.current = source
            self.starts.append(self.rows_read)
            self.opened.append(source)
            try:
                for chunk in source.chunks(wanted):
                    self.rows_read += len(next(iter(chunk.values()))) if chunk else 0
                    self.bytes_read = done_bytes + source.bytes_read
                    yield chunk
            finally:
                source.close()
            done_bytes += source.size or source.bytes_read
            self.bytes_read = done_bytes

    def parts(self) -> list[Part]:
        """Every file's parts, in order (each file is opened to read its layout)."""
        parts: list[Part] = []
        for path in self.files:
            with open_file(path, max_line=self.max_line) as source:
                parts += source.parts()
        return parts


def write_values(chunks: Iterable[FloatArray], name: str, as_json: bool, out: IO[str]) -> None:
    """Write values one per row as they come: CSV under the header ``name``, or a JSON array.

    In CSV a whole number is written without ``.0`` (81, not 81.0), as in the tables.
    """
    out.write("[" if as_json else f"{name}\n")
    separator = ""
    for values in chunks:
        if not len(values):
            continue
        items = map(repr, values.tolist())
        if as_json:
            out.write(separator + ", ".join(items))
            separator = ", "
        else:
            out.write(("\n".join(items) + "\n").replace(".0\n", "\n"))
    if as_json:
        out.write("]\n")


def with_progress(chunks: Iterator[Chunk], data: Source, enabled: bool) -> Iterator[Chunk]:
    """Pass the chunks through; after about a second, show a progress bar on stderr.

    The bar counts rows and rows per second (and bytes, when the file's size is known).
    """
    if not enabled:
        yield from chunks
        return
    start = time.monotonic()
    bar: Any = None
    task: Any = None
    try:
        for chunk in chunks:
            yield chunk
            if bar is None and time.monotonic() - start > 1.0:
                bar, task = _start_bar(data.label, data.size)
            if bar is not None:
                elapsed = max(time.monotonic() - start, 1e-9)
                bar.update(
                    task,
                    completed=data.bytes_read,
                    rows=data.rows_read,
                    rate=data.rows_read / elapsed,
                )
    finally:
        if bar is not None:
            bar.stop()


Outcome = TypeVar("Outcome")


def with_part_progress(
    outcomes: Iterable[Outcome],
    parts: Sequence[Part],
    label: str,
    enabled: bool,
    rows_of: Callable[[Outcome], int],
) -> Iterator[Outcome]:
    """Pass the parts' outcomes through (one per part, in order); after about a second,
    show a progress bar on stderr of the rows done over all the parts, whichever
    process or cluster worker read them.

    The bar's total is the dataset's rows where every part's metadata says how
    many (Parquet, Arrow, NumPy), else its bytes where every part is a whole
    file (CSV, JSON Lines), else there is no bar, only the count of rows.
    """
    if not enabled:
        yield from outcomes
        return
    total: int | None = None
    weigh: Callable[[Part, int], int] = lambda part, rows: rows  # noqa: E731
    if parts and all(part.rows is not None for part in parts):
        total = sum(part.rows or 0 for part in parts)
    elif parts and all(part.start == 0 and part.stop is None for part in parts):
        try:
            sizes = {part.path: Path(part.path).stat().st_size for part in parts}
        except OSError:
            sizes = {}
        if sizes:
            total = sum(sizes.values())
            weigh = lambda part, rows: sizes[part.path]  # noqa: E731
    start = time.monotonic()
    bar: Any = None
    task: Any = None
    done = rows = 0
    try:
        for part, outcome in zip(parts, outcomes, strict=False):
            yield outcome
            counted = rows_of(outcome)
            rows += counted
            done += weigh(part, counted)
            if bar is None and time.monotonic() - start > 1.0:
                bar, task = _start_bar(label, total)
            if bar is not None:
                elapsed = max(time.monotonic() - start, 1e-9)
                bar.update(task, completed=done, rows=rows, rate=rows / elapsed)
    finally:
        if bar is not None:
            bar.stop()


def _start_bar(label: str, total: int | None) -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from autograph.quoting import visible

    # The path is user text: shown as text (markup=False), its control characters visible.
    columns: list[Any] = [TextColumn("{task.description}", markup=False)]
    if total:
        columns.append(BarColumn())
    columns += [
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
    ]
    bar = Progress(*columns, console=Console(stderr=True), transient=True)
    task = bar.add_task(visible(label), total=total or None, rows=0, rate=0.0)
    bar.start()
    return bar, task
