"""--data: reading CSV and TSV files of samples, their errors, and the commands over them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograph import InputError, data

LINEAR = "0.5*(w*x+b-y)^2"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def read(text: str | bytes, name: str = "samples.csv", block: int = data.BLOCK) -> dict:
    raw = text.encode() if isinstance(text, str) else text
    with data.DataFile(io.BytesIO(raw), name) as source:
        chunks = list(source.chunks(block=block))
        return {n: np.concatenate([c[n] for c in chunks]).tolist() for n in source.names}


def error(text: str | bytes, name: str = "samples.csv", block: int = data.BLOCK) -> InputError:
    with pytest.raises(InputError) as caught:
        read(text, name, block)
    assert caught.value.kind == "data" and caught.value.exit_code == 2
    return caught.value


# Reading ---------------------------------------------------------------------------


def test_the_header_names_the_columns_and_each_line_is_a_sample() -> None:
    assert read("x,y\n-3,5\n1.5,2e3\n") == {"x": [-3.0, 1.5], "y": [5.0, 2000.0]}


def test_a_tab_in_the_header_makes_the_file_tab_separated() -> None:
    assert read("x\ty\n1\t2\n", name="-") == {"x": [1.0], "y": [2.0]}


def test_a_single_column_reads_under_any_extension() -> None:
    assert read("x\n1\n2\n", name="data.tsv") == {"x": [1.0, 2.0]}


def test_windows_line_ends_a_byte_order_mark_and_quoted_names_are_read() -> None:
    assert read(b'\xef\xbb\xbf"x","y"\r\n1,2\r\n3,4\r\n') == {"x": [1.0, 3.0], "y": [2.0, 4.0]}


def test_the_last_line_needs_no_newline() -> None:
    assert read("x,y\n1,2\n3,4") == {"x": [1.0, 3.0], "y": [2.0, 4.0]}


def test_blocks_of_any_size_read_the_same_numbers() -> None:
    text = "x,y\n" + "".join(f"{i / 7!r},{-i}\n" for i in range(200))
    whole = read(text)
    assert read(text, block=5) == whole == read(text, block=64)


def test_the_fast_parser_reads_exactly_what_float_reads() -> None:
    rng = np.random.default_rng(5)
    numbers = rng.normal(size=(40000, 3)) * 10.0 ** rng.integers(-30, 30, size=(40000, 3))
    formats = ["{!r}", "{:.6g}", "{:.3e}", "{:.0f}"]
    lines = [
        ",".join(formats[(i + k) % 4].format(v) for k, v in enumerate(row))
        for i, row in enumerate(numbers.tolist())
    ]
    text = "a,b,c\n" + "\n".join(lines) + "\n"
    assert len(text) > data.FAST_MIN
    got = read(text)
    expected = [[float(f) for f in line.split(",")] for line in lines]
    assert [list(row) for row in zip(got["a"], got["b"], got["c"], strict=True)] == expected


def big(line: str, at: int, rows: int = 30000) -> str:
    """A file large enough for the fast parser, with ``line`` as its line ``at``."""
    body = [f"{i}.25,{i}" for i in range(rows)]
    body[at - 2] = line
    return "x,y\n" + "\n".join(body) + "\n"


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("7", 2, "the field for 'y' is missing"),
        ("7,8,9", 3, "an extra field '9'"),
        ("7,abc", 2, "'abc' is not a number (column 'y')"),
        ("7,", 2, "a field is empty (column 'y')"),
        ("7, ", 2, "a field is empty (column 'y')"),
        ('"7",8', 1, "'\"7\"' is not a number (column 'x')"),
        ("7,nan", 2, "'nan' is not a number"),
        ("inf,8", 1, "'inf' is not a number"),
        ("7,1e400", 2, "1e400 is too large for float64"),
        ("1_000,8", 1, "'1_000' is not a number"),
        ("7\r8,9", 1, "is not a number"),
    ],
)
@pytest.mark.parametrize("size", ["small", "big"])
def test_a_bad_field_is_named_by_file_line_and_column(
    line: str, column: int, message: str, size: str
) -> None:
    text = big(line, 20001) if size == "big" else f"x,y\n1,2\n{line}\n"
    err = error(text)
    where = 20001 if size == "big" else 3
    assert err.message.startswith(f"samples.csv, line {where}, column {column}: ")
    assert message in err.message
    body = err.to_dict()["error"]
    assert body == body | {"file": "samples.csv", "line": where, "column": column}


def test_an_extra_field_and_a_missing_one_do_not_cancel_out() -> None:
    text = big("7,8,9", 12000).replace("\n15000.25,15000\n", "\n15000.25\n")
    assert "line 12000, column 3: an extra field" in error(text).message


def test_an_empty_line_is_an_error_not_skipped() -> None:
    assert error("x,y\n1,2\n\n3,4\n").message.startswith("samples.csv, line 3: the line is empty")


def test_a_header_without_rows_is_an_error() -> None:
    assert "has a header but no rows" in error("x,y\n").message


def test_an_empty_file_is_an_error() -> None:
    assert "is empty" in error("").message


@pytest.mark.parametrize(
    ("header", "message"),
    [("x,2y", "'2y' is not a variable name"), ("x,y,x", "the column 'x' is named twice")],
)
def test_a_bad_header_is_an_error_on_line_1(header: str, message: str) -> None:
    err = error(header + "\n1,2,3\n")
    assert err.message.startswith("samples.csv, line 1, column ") and message in err.message


def test_write_values_writes_csv_with_whole_numbers_bare_or_a_json_array() -> None:
    out = io.StringIO()
    data.write_values(iter([np.array([81.0, 0.5]), np.array([-13.0])]), "J", False, out)
    assert out.getvalue() == "J\n81\n0.5\n-13\n"
    out = io.StringIO()
    data.write_values(iter([np.array([81.0, 0.5]), np.array([-13.0])]), "J", True, out)
    assert json.loads(out.getvalue()) == [81.0, 0.5, -13.0]


# The commands ----------------------------------------------------------------------


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    path = tmp_path / "samples.csv"
    path.write_text("x,y\n-3,5\n1,2\n0,0\n")
    return path


def test_grad_over_the_one_sample_file_gives_the_worked_example(run) -> None:
    out = run(
        "grad", LINEAR, "--data", str(EXAMPLES / "one-sample.csv"), "--at", "w=3,b=1", "--json"
    )
    body = out.json()
    assert (body["value"], body["gradient"], body["samples"]) == (84.5, {"w": 39.0, "b": -13.0}, 1)
    assert all({"id", "name", "op", "inputs", "value", "adjoint"} <= set(n) for n in body["nodes"])


def test_grad_over_a_file_gives_the_mean_and_with_reduce_sum_the_sum(run, samples) -> None:
    residuals = [3 * -3 + 1 - 5, 3 * 1 + 1 - 2, 3 * 0 + 1 - 0]
    mean = run("grad", LINEAR, "--data", str(samples), "--at", "w=3,b=1", "--json").json()
    assert mean["value"] == pytest.approx(sum(0.5 * r * r for r in residuals) / 3, rel=1e-12)
    assert mean["gradient"]["b"] == pytest.approx(sum(residuals) / 3, rel=1e-12)
    total = run(
        "grad", LINEAR, "--data", str(samples), "--at", "w=3,b=1", "--reduce", "sum", "--json"
    )
    assert total.json()["gradient"]["w"] == pytest.approx(-13 * -3 + 2 * 1 + 0, rel=1e-12)


def test_grad_over_a_file_prints_the_table_and_the_number_of_rows(run, samples) -> None:
    out = run("grad", LINEAR, "--data", str(samples), "--at", "w=3,b=1")
    assert out.code == 0 and out.stderr == ""
    assert "3 rows of" in out.stdout and "mean over the rows" in out.stdout


def test_eval_over_a_file_writes_one_value_per_row(run, samples) -> None:
    out = run(
        "eval", "w*x + b", "--data", str(samples), "--at", "w=3,b=1", "--ignore-extra-columns"
    )
    assert out.stdout.splitlines()[1:] == ["-8", "4", "1"]
    out = run("eval", "w*x + b - y", "--data", str(samples), "--at", "w=3,b=1", "--json")
    assert out.json() == [-13.0, 2.0, 1.0]


def test_data_from_standard_input(run, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x\ty\n-3\t5\n")))
    out = run("grad", LINEAR, "--data", "-", "--at", "w=3,b=1", "--json")
    assert out.json()["gradient"] == {"w": 39.0, "b": -13.0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--at", "w=3"), "no value for b: not a column of"),
        (("--at", "w=3,b=1,x=2"), "'x' is both a column"),
        (("--at", "w=3,b=1", "--reduce", "max"), "--reduce takes mean or sum"),
    ],
)
def test_bad_bindings_are_bad_input(run, samples, args, message) -> None:
    out = run("grad", LINEAR, "--data", str(samples), *args)
    assert out.code == 2 and message in out.stderr


def test_an_extra_column_is_an_error_unless_ignored(run, samples) -> None:
    out = run("eval", "w*x", "--data", str(samples), "--at", "w=3", "--json")
    assert out.code == 2 and out.error()["kind"] == "data-binding"
    assert (
        run("eval", "w*x", "--data", str(samples), "--at", "w=3", "--ignore-extra-columns").code
        == 0
    )


def test_a_bad_line_is_exit_2_with_file_line_and_column_in_json(run, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("x,y\n1,2\n3,oops\n")
    err = run("grad", LINEAR, "--data", str(path), "--at", "w=1,b=0", "--json")
    assert err.code == 2 and err.stdout == ""
    assert err.error() | {"kind": "data", "file": str(path), "line": 3, "column": 2} == err.error()


def test_a_domain_error_in_one_row_is_exit_1_naming_the_row(run, tmp_path) -> None:
    path = tmp_path / "logistic.csv"
    path.write_text("x,y\n0.5,1\n40,0\n1,1\n")
    program = "-(y*log(sigmoid(w*x+b)) + (1-y)*log(1-sigmoid(w*x+b)))"
    err = run("grad", program, "--data", str(path), "--at", "w=1,b=0", "--json").error()
    assert err["kind"] == "domain" and err["row"] == 2
    assert err["message"].startswith(f"row 2 ({path}, line 3): `log(1-sigmoid(w*x+b))`")


def test_the_program_and_the_data_cannot_both_come_from_standard_input(run) -> None:
    out = run("eval", "-", "--data", "-")
    assert out.code == 2 and "both read standard input" in out.stderr


def test_a_missing_data_file_is_bad_input(run, tmp_path) -> None:
    out = run("grad", LINEAR, "--data", str(tmp_path / "nope.csv"), "--at", "w=1,b=0")
    assert out.code == 2 and "cannot read" in out.stderr


def test_numpy_is_imported_only_with_data_and_pandas_only_for_large_files(tmp_path) -> None:
    small = tmp_path / "s.csv"
    small.write_text("x\n1\n")
    probe = (
        "import sys\n"
        "from autograph.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('numpy' in sys.modules, 'pandas' in sys.modules, file=sys.stderr)\n"
    )

    def modules(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
        )
        return done.stderr.splitlines()[-1]

    assert modules("eval", "x*2", "--at", "x=1") == "False False"
    assert modules("grad", "x*2", "--at", "x=1") == "False False"
    assert modules("grad", "x*w", "--data", str(small), "--at", "w=1") == "True False"


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("x\n" + "1\n" * 1000)
    done = subprocess.run(
        [sys.executable, "-m", "autograph", "grad", "x*w", "--data", str(path), "--at", "w=2"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""


def test_the_progress_bar_passes_every_chunk_through(monkeypatch) -> None:
    clock = iter(range(0, 100, 2))
    monkeypatch.setattr(data.time, "monotonic", lambda: float(next(clock)))
    source = data.DataFile(io.BytesIO(b"x\n1\n2\n3\n"), "s.csv")
    chunks = data.with_progress(source.chunks(block=2), source, enabled=True)
    assert sum(len(c["x"]) for c in chunks) == 3


def test_a_data_path_with_square_brackets_is_printed_as_it_is(run, tmp_path) -> None:
    folder = tmp_path / "d[/red]"
    folder.mkdir(parents=True)
    path = folder / "[bold]x.csv"
    path.write_text("x\n2\n")
    out = run("grad", "w*x", "--data", str(path), "--at", "w=3")
    assert out.code == 0, out.stderr
    assert "[bold]x.csv" in out.stdout


@pytest.mark.parametrize("as_json", [True, False])
def test_eval_over_data_prints_nothing_on_stdout_when_a_row_fails(run, tmp_path, as_json) -> None:
    path = tmp_path / "s.csv"
    path.write_text("x\n4\n1\n-1\n9\n")
    out = run("eval", "sqrt(x)", "--data", str(path), *(["--json"] if as_json else []))
    assert out.code == 1
    assert out.stdout == ""
