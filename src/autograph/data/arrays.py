"""NumPy files: ``.npy`` (one array) and ``.npz`` (one array per column), memory-mapped.

An ``.npz``'s keys are its column names, each a 1-D array of one length. An
``.npy`` holds a structured array (its field names are the columns) or a 1-D
array, whose column is named by the file's stem (``x.npy`` is the column ``x``).
Arrays are mapped, not loaded: an ``.npz`` stored without compression (``np.savez``)
is mapped member by member; a compressed one (``np.savez_compressed``) is read
a member at a time. The parts are row ranges.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograph.data.source import ROWS, Chunk, Part, Source

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
PART_ROWS = 1 << 20
"""Rows per part for ``--workers``."""


def _mapped_member(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    """An ``.npz`` member as an array: mapped in place when stored, else read whole."""
    if info.compress_type != zipfile.ZIP_STORED:
        with archive.open(info) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    with open(path, "rb") as raw:
        raw.seek(info.header_offset)
        local = raw.read(30)
        name_length = int.from_bytes(local[26:28], "little")
        extra_length = int.from_bytes(local[28:30], "little")
        raw.seek(info.header_offset + 30 + name_length + extra_length)
        version = np.lib.format.read_magic(raw)
        reader = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }.get(version)
        if reader is None:
            with archive.open(info) as member:
                return np.lib.format.read_array(member, allow_pickle=False)
        shape, fortran, dtype = reader(raw)
        offset = raw.tell()
    if dtype.hasobject:
        raise ValueError("object arrays are not numbers")
    return np.memmap(
        path, dtype=dtype, mode="r", shape=shape, offset=offset, order="F" if fortran else "C"
    )


class NumpySource(Source):
    """A ``.npy`` or ``.npz`` file: named 1-D columns of one length, mapped."""

    def __init__(self, path: str, format: str) -> None:
        super().__init__()
        self.label, self.format = path, format
        self.size = Path(path).stat().st_size
        try:
            self.arrays = self._open(path)
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            raise self.error(f"not a readable NumPy file ({err})") from None
        self.names = tuple(self.arrays)
        lengths = {name: array.shape for name, array in self.arrays.items()}
        for name, shape in lengths.items():
            if len(shape) != 1:
                raise self.error(f"the array {name!r} has shape {shape}: a column is 1-D")
            if not (
                np.issubdtype(self.arrays[name].dtype, np.number)
                or self.arrays[name].dtype == np.bool_
            ):
                raise self.error(
                    f"column {name!r} holds {self.arrays[name].dtype}, not numbers", column=name
                )
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{n}: {s[0]}" for n, s in lengths.items())
            raise self.error(f"the columns are not of one length ({shown})")
        self.length = next(iter(lengths.values()))[0] if lengths else 0

    def _open(self, path: str) -> dict[str, Any]:
        if self.format == "npz":
            with zipfile.ZipFile(path) as archive:
                arrays = {}
                for info in archive.infolist():
                    name = info.filename.removesuffix(".npy")
                    if not _NAME.match(name):
                        raise ValueError(f"the key {name!r} is not a variable name")
                    arrays[name] = _mapped_member(path, archive, info)
                return arrays
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        if array.dtype.names:
            return {name: array[name] for name in array.dtype.names}
        stem = Path(path).stem
        if array.ndim != 1 or not _NAME.match(stem):
            raise ValueError(
                "a plain .npy file is one 1-D column named by the file "
                "(x.npy); use a structured array or an .npz for several columns"
            )
        return {stem: array}

    def parts(self) -> list[Part]:
        return [
            Part(
                self.label,
                self.format,
                start,
                min(start + PART_ROWS, self.length),
                min(start + PART_ROWS, self.length) - start,
            )
            for start in range(0, max(self.length, 1), PART_ROWS)
        ]

    def chunks(
        self, columns: Sequence[str] | None = None, part: Part | None = None
    ) -> Iterator[Chunk]:
        """The rows (of ``part``, or all) as float64 chunks, only ``columns``."""
        wanted = self._check_columns(columns)
        start = 0 if part is None else part.start
        stop = self.length if part is None or part.stop is None else part.stop
        for first in range(start, stop, ROWS):
            last = min(first + ROWS, stop)
            chunk = {
                name: np.asarray(self.arrays[name][first:last], dtype=np.float64) for name in wanted
            }
            self.rows_read += last - first
            self.bytes_read += sum(c.nbytes for c in chunk.values())
            yield chunk
