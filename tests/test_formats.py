"""--data in every format: Parquet, Arrow/Feather, .npy/.npz, JSON Lines, CSV, folders and globs.

The reference is a closed form: for J = 0.5*(w*x + b - y)^2 the mean cost and gradient
are sums NumPy computes directly from the same numbers, whatever file holds them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograph import InputError, batch, data, parse

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
feather = pytest.importorskip("pyarrow.feather")

LOSS = "J = 0.5*(w*x + b - y)^2"
ROWS = 1_000_000  # the dataset: about 15 s here, most of it writing the text files
W, B = 3.0, 1.0


@pytest.fixture(scope="module")
def columns() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(15)
    x = rng.normal(size=ROWS)
    return {"x": x, "y": 2.5 * x - 0.5 + rng.normal(size=ROWS)}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, columns) -> dict[str, Path]:
    """The same rows written in every format, and split over 7 Parquet files in a folder."""
    root = tmp_path_factory.mktemp("formats")
    x, y = columns["x"], columns["y"]
    table = pa.table({"x": x, "y": y})
    written = {
        name: root / name
        for name in [
            "d.csv",
            "d.tsv",
            "d.parquet",
            "d.feather",
            "d.npz",
            "dz.npz",
            "d.npy",
            "d.jsonl",
        ]
    }
    # repr is the shortest text that reads back as the same float (json.dumps writes it too).
    pairs = list(zip(map(repr, x.tolist()), map(repr, y.tolist()), strict=True))
    lines = [f"{a},{b}" for a, b in pairs]
    written["d.csv"].write_text("x,y\n" + "\n".join(lines) + "\n")
    written["d.tsv"].write_text("x\ty\n" + "\n".join(s.replace(",", "\t") for s in lines) + "\n")
    pq.write_table(table, written["d.parquet"], row_group_size=3_000)
    feather.write_feather(table, written["d.feather"], chunksize=3_000)
    np.savez(written["d.npz"], x=x, y=y)
    np.savez_compressed(written["dz.npz"], x=x, y=y)
    np.save(written["d.npy"], np.rec.fromarrays([x, y], names="x,y"))
    written["d.jsonl"].write_text("".join(f'{{"x": {a}, "y": {b}}}\n' for a, b in pairs))
    folder = root / "parts"
    folder.mkdir()
    for k, rows in enumerate(np.array_split(np.arange(ROWS), 7)):
        pq.write_table(table.take(rows), folder / f"part-{k}.parquet")
    (folder / "README").write_text("not data: skipped")
    written["parts"] = folder
    return written


def expected(columns) -> tuple[float, dict[str, float]]:
    x, y = columns["x"], columns["y"]
    residual = W * x + B - y
    return float(np.mean(0.5 * residual**2)), {
        "w": float(np.mean(residual * x)),
        "b": float(np.mean(residual)),
    }


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300)


@pytest.mark.parametrize(
    "name",
    ["d.csv", "d.tsv", "d.parquet", "d.feather", "d.npz", "dz.npz", "d.npy", "d.jsonl", "parts"],
)
def test_every_format_gives_the_same_value_and_gradient(files, columns, name) -> None:
    cost, gradient = expected(columns)
    graph = parse(LOSS)
    with data.open_data(files[name]) as source:
        result = batch.cost(graph, source.chunks(["x", "y"]), {"w": W, "b": B})
    assert result.samples == ROWS
    assert close(result.value, cost)
    assert all(close(result.gradient[n], gradient[n]) for n in gradient)


def test_a_glob_and_a_folder_of_seven_parquet_files_agree_on_the_command_line(
    run, files, columns
) -> None:
    cost, gradient = expected(columns)
    for path in (str(files["parts"]), str(files["parts"] / "*.parquet")):
        out = run("grad", LOSS, "--data", path, "--at", "w=3,b=1", "--json")
        assert out.code == 0, out.stderr
        body = out.json()
        assert body["samples"] == ROWS and close(body["value"], cost)
        assert all(close(body["gradient"][n], gradient[n]) for n in gradient)


def test_a_folder_is_read_in_sorted_order_and_eval_keeps_the_row_order(run, tmp_path) -> None:
    for name, values in [("b.parquet", [3.0, 4.0]), ("a.parquet", [1.0, 2.0]), ("c.csv", None)]:
        if values is None:
            (tmp_path / name).write_text("x\n5\n6\n")
        else:
            pq.write_table(pa.table({"x": values}), tmp_path / name)
    out = run("eval", "10*x", "--data", str(tmp_path))
    assert out.code == 0, out.stderr
    assert out.stdout.split()[1:] == ["10", "20", "30", "40", "50", "60"]


def test_a_bad_value_in_the_last_row_of_the_last_file_names_file_row_and_column(
    run, tmp_path
) -> None:
    for k in range(3):
        pq.write_table(pa.table({"x": [1.0, 2.0], "y": [0.0, 1.0]}), tmp_path / f"p{k}.parquet")
    pq.write_table(pa.table({"x": [1.0, float("nan")], "y": [0.0, 1.0]}), tmp_path / "p3.parquet")
    out = run("grad", LOSS, "--data", str(tmp_path), "--at", "w=3,b=1")
    assert out.code == 2 and out.stdout == ""
    assert "row 2" in out.stderr and "p3.parquet" in out.stderr and "x is nan" in out.stderr
    csv_folder = tmp_path / "csv"
    csv_folder.mkdir()
    (csv_folder / "a.csv").write_text("x,y\n1,2\n")
    (csv_folder / "b.csv").write_text("x,y\n1,2\n3,oops\n")
    out = run("grad", LOSS, "--data", str(csv_folder), "--at", "w=3,b=1")
    assert out.code == 2 and out.stdout == ""
    assert "b.csv, line 3, column 2" in out.stderr and "'oops' is not a number" in out.stderr


def test_a_null_in_parquet_names_the_row_group_and_column(run, tmp_path) -> None:
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0, None], "y": [1.0] * 4}), path, row_group_size=2)
    out = run("grad", LOSS, "--data", str(path), "--at", "w=3,b=1", "--json")
    assert out.code == 2 and out.stdout == ""
    error = out.error()
    assert error["row"] == 4 and error["column"] == "x"
    assert "row 4 (" in error["message"] and "row group 1" in error["message"]


def test_a_missing_column_names_the_file(run, tmp_path) -> None:
    pq.write_table(pa.table({"x": [1.0], "y": [2.0]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"x": [1.0]}), tmp_path / "b.parquet")
    out = run("grad", LOSS, "--data", str(tmp_path / "*.parquet"), "--at", "w=3,b=1")
    assert out.code == 2 and out.stdout == ""
    assert "b.parquet has no column 'y'" in out.stderr


def test_a_column_of_text_is_refused(run, tmp_path) -> None:
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"x": ["1"], "y": [2.0]}), path)
    out = run("grad", LOSS, "--data", str(path), "--at", "w=3,b=1")
    assert out.code == 2 and "column 'x' holds string, not numbers" in out.stderr


def test_a_parquet_file_is_known_by_its_bytes_whatever_its_name(run, tmp_path) -> None:
    path = tmp_path / "actually.csv"
    pq.write_table(pa.table({"x": [2.0]}), path)
    out = run("grad", "w*x", "--data", str(path), "--at", "w=3", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["gradient"] == {"w": 2.0}


def test_without_pyarrow_a_parquet_file_says_what_to_install(run, tmp_path, monkeypatch) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"x": [2.0]}), path)
    for name in ("pyarrow", "pyarrow.parquet", "pyarrow.ipc"):
        monkeypatch.setitem(sys.modules, name, None)
    out = run("grad", "w*x", "--data", str(path), "--at", "w=3")
    assert out.code == 2 and out.stdout == ""
    assert 'pip install "autograph-cli[data]"' in out.stderr


def test_only_the_programs_columns_are_read_from_parquet(tmp_path) -> None:
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0], "unused": ["text", "more"]}), path)
    with data.open_data(path) as source:
        chunk = next(source.chunks(["x"]))
    assert list(chunk) == ["x"] and chunk["x"].tolist() == [1.0, 2.0]


def test_an_npy_column_is_named_by_the_file(tmp_path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.arange(3.0))
    with data.open_data(path) as source:
        assert source.names == ("x",)
        assert next(source.chunks())["x"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"x": 1}\n{"x": "2"}\n', 'line 2, column 1: "2" is not a number'),
        ('{"x": 1}\n{"z": 2}\n', "line 2, column 1: the key 'x' is missing"),
        ('{"x": 1}\n\n{"x": 2}\n', "line 2: the line is empty"),
        ('{"x": 1}\n[1]\n', "line 2: each line must be a JSON object"),
        ('{"x": 1}\n{"x": 1, "y": 2}\n', "line 2, column 2: an extra key 'y'"),
        ('{"x": 1}\n{"x": nul}\n', "line 2: not valid JSON"),
    ],
)
def test_json_lines_errors_name_the_line_and_column(tmp_path, text, message) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(text)
    with pytest.raises(InputError) as caught, data.open_data(path) as source:
        list(source.chunks())
    assert message in caught.value.message


def test_json_lines_may_end_with_empty_lines(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"x": 1}\n{"x": 2}\n\n')
    with data.open_data(path) as source:
        assert np.concatenate([c["x"] for c in source.chunks()]).tolist() == [1.0, 2.0]


def test_a_glob_that_matches_nothing_is_bad_input(run, tmp_path) -> None:
    out = run("grad", "w*x", "--data", str(tmp_path / "*.parquet"), "--at", "w=3")
    assert out.code == 2 and "no file matches" in out.stderr


@pytest.mark.parametrize(
    "column",
    [
        pa.array([1.5, -2.0, 3.25, 0.0]),
        pa.array([1.5, -2.0, 3.25], pa.float32()),
        pa.array([1.5, -2.0, 3.0], pa.float16()),
        pa.array([1, -2, 127, -128], pa.int8()),
        pa.array([1, 2, 255], pa.uint8()),
        pa.array([2**53, -(2**40), 7], pa.int64()),
        pa.array([2**63 + 1024, 5], pa.uint64()),
        pa.array([True, False, True, True, False, False, True, False, True, True]),
        pa.array([], pa.float64()),
    ],
    ids=lambda column: str(column.type),
)
def test_every_numeric_arrow_type_reads_as_the_float64_of_its_values(column) -> None:
    from autograph.data.arrow import _floats

    for piece in (column, column.slice(1), column.slice(3, 5), column.slice(2, 0)):
        values = _floats(piece)
        assert values.dtype == np.float64
        assert values.tolist() == [float(v) for v in piece.to_pylist()]


def test_reading_parquet_does_not_import_pandas(tmp_path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0], "y": [3.0, 5.0]}), path)
    program = (
        "import sys; from autograph import data\n"
        f"with data.open_data({str(path)!r}) as source:\n"
        "    assert [c['x'].tolist() for c in source.chunks(['x', 'y'])] == [[1.0, 2.0]]\n"
        "print('pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
