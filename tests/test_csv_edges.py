"""CSV edges: empty lines at the end are no samples; another delimiter is named."""

from __future__ import annotations

import pytest


def mean_gradient(run, path) -> dict[str, float]:
    out = run("grad", "w*x*y", "--at", "w=1", "--data", str(path), "--quiet", "--json")
    assert out.code == 0, out.stderr
    data = out.json()
    return {"samples": data["samples"], **data["gradient"]}


@pytest.mark.parametrize("ending", ["\n", "\n\n", "\n\n\n", "\r\n\r\n", "\n   \n", ""])
def test_empty_lines_at_the_end_of_a_csv_file_are_not_samples(run, tmp_path, ending) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(("x,y\n1,2\n3,4" + ending).encode())
    assert mean_gradient(run, path) == {"samples": 2, "w": (1 * 2 + 3 * 4) / 2}


def test_trailing_empty_lines_after_a_block_boundary_are_not_samples(tmp_path) -> None:
    from autograph.data.csv import DataFile

    path = tmp_path / "d.csv"
    path.write_bytes(b"x\n" + b"1\n" * 50 + b"\n" * 50)
    with path.open("rb") as stream:
        rows = sum(len(chunk["x"]) for chunk in DataFile(stream, "d.csv").chunks(block=7))
    assert rows == 50


def test_an_empty_line_before_a_sample_is_still_an_error(run, tmp_path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n\n3,4\n")
    out = run("grad", "w*x*y", "--at", "w=1", "--data", str(path), "--quiet")
    assert out.code == 2
    assert (
        out.stderr == f"error: {path}, line 3: the line is empty; each line needs 2 fields (x, y)\n"
    )


@pytest.mark.parametrize(
    ("name", "header", "called"),
    [
        ("d.csv", "x;y", "';'"),
        ("d.tsv", "x;y", "';'"),
        ("d.csv", "x|y", "'|'"),
        ("d.csv", "x y", "spaces"),
    ],
)
def test_a_file_delimited_otherwise_is_refused_naming_the_delimiter(
    run, tmp_path, name, header, called
) -> None:
    path = tmp_path / name
    sep = header[1]
    path.write_text(f"{header}\n1{sep}2\n")
    out = run("grad", "w*x*y", "--at", "w=1", "--data", str(path), "--quiet")
    assert out.code == 2
    assert out.stderr == (
        f"error: {path}, line 1: the columns are separated by {called}: autograph reads a CSV "
        "file separated by commas, or a TSV file separated by tabs\n"
    )


def test_a_tab_delimited_file_named_csv_is_read(run, tmp_path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x\ty\n1\t2\n3\t4\n")
    assert mean_gradient(run, path) == {"samples": 2, "w": 7.0}
