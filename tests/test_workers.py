"""--workers N: the data's parts reduced in N processes, the same result as one process."""

from __future__ import annotations

import io
import json
import os
import pickle
import signal

import numpy as np
import pytest

import autograph
from autograph import batch
from autograph import workers as workers_module
from autograph.workers import Job, count, run_part

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

LINEAR = "J = 0.5*(w*x + b - y)^2"
AT = {"w": 2.0, "b": 0.5}


def rows(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    x = generator.normal(size=n)
    return x, 3 * x + 1 + generator.normal(size=n)


def closed_form(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """The mean of 0.5 r^2 and its gradient, r = w x + b - y, by hand."""
    r = AT["w"] * x + AT["b"] - y
    return float(np.mean(0.5 * r * r)), float(np.mean(r * x)), float(np.mean(r))


def grad_json(run, *args: str) -> dict:
    out = run("grad", LINEAR, "--at", "w=2,b=0.5", "--json", *args)
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300)


def test_two_workers_give_the_closed_form_and_the_one_process_result(run, tmp_path) -> None:
    x, y = rows(50_000)
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"x": x, "y": y}), path, row_group_size=3_000)
    one = grad_json(run, "--data", str(path))
    two = grad_json(run, "--data", str(path), "--workers", "2")
    value, dw, db = closed_form(x, y)
    assert two["samples"] == one["samples"] == 50_000
    assert close(two["value"], value) and close(two["value"], one["value"])
    assert close(two["gradient"]["w"], dw) and close(two["gradient"]["b"], db)
    for name in ("w", "b"):
        assert close(two["gradient"][name], one["gradient"][name])


def test_the_result_does_not_depend_on_the_number_of_workers(run, tmp_path) -> None:
    x, y = rows(20_000, seed=2)
    for k in range(3):
        part = slice(k * 7_000, (k + 1) * 7_000)
        path = tmp_path / f"part-{k}.parquet"
        pq.write_table(pa.table({"x": x[part], "y": y[part]}), path, row_group_size=2_500)
    two = grad_json(run, "--data", str(tmp_path), "--workers", "2")
    three = grad_json(run, "--data", str(tmp_path), "--workers", "3")
    assert two == three


def test_a_folder_of_csv_files_is_shared_file_by_file(run, tmp_path) -> None:
    x, y = rows(3_000, seed=3)
    for k in range(3):
        part = slice(k * 1_000, (k + 1) * 1_000)
        lines = [f"{a},{b}" for a, b in zip(x[part].tolist(), y[part].tolist(), strict=True)]
        (tmp_path / f"{k}.csv").write_text("x,y\n" + "\n".join(lines) + "\n")
    two = grad_json(run, "--data", str(tmp_path), "--workers", "2")
    value, dw, db = closed_form(x, y)
    assert two["samples"] == 3_000 and close(two["value"], value)
    assert close(two["gradient"]["w"], dw) and close(two["gradient"]["b"], db)


def test_eval_with_workers_keeps_the_order_of_the_rows(run, tmp_path) -> None:
    x = np.arange(30_000, dtype=np.float64)
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"x": x}), path, row_group_size=1_000)
    one = run("eval", "2*x + 1", "--data", str(path))
    two = run("eval", "2*x + 1", "--data", str(path), "--workers", "2", "--json")
    assert two.code == 0 and json.loads(two.stdout) == (2 * x + 1).tolist()
    assert one.stdout == run("eval", "2*x + 1", "--data", str(path), "--workers", "2").stdout


def test_a_bad_value_in_the_last_file_names_file_row_and_column_as_one_process_does(
    run, tmp_path
) -> None:
    x, y = rows(9_000, seed=4)
    y[-1] = np.nan
    for k in range(3):
        part = slice(k * 3_000, (k + 1) * 3_000)
        pq.write_table(
            pa.table({"x": x[part], "y": y[part]}), tmp_path / f"{k}.parquet", row_group_size=1_000
        )
    args = ("grad", LINEAR, "--at", "w=2,b=0.5", "--json", "--data", str(tmp_path))
    one, two = run(*args), run(*args, "--workers", "2")
    assert two.code == one.code == 2 and two.stdout == "" == one.stdout
    error = two.error()
    assert error == one.error()
    assert error["row"] == 9_000 and error["variable"] == "y"
    assert error["message"].startswith(f"row 3000 ({tmp_path / '2.parquet'}, row group 2): y")


def test_a_math_failure_in_a_worker_is_exit_1_naming_the_row(run, tmp_path) -> None:
    x = np.linspace(1.0, 2.0, 5_000)
    x[4_321] = -1.0
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"x": x}), path, row_group_size=1_000)
    out = run("eval", "log(x)", "--data", str(path), "--workers", "2", "--json")
    assert out.code == 1 and out.stdout == ""
    assert out.error()["row"] == 4_322 and out.error()["kind"] == "domain"


@pytest.fixture
def forked(monkeypatch) -> list[int]:
    """The process ids of the workers forked during the test."""
    pids: list[int] = []
    fork = os.fork

    def recording() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(workers_module.os, "fork", recording)
    return pids


def all_collected(pids: list[int]) -> bool:
    """Whether every one of these children has ended and been waited for (no zombie left)."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return bool(pids)


@pytest.fixture
def parquet_parts(tmp_path):
    """A Parquet file of 8 row groups."""
    x, y = rows(8_000, seed=5)
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"x": x, "y": y}), path, row_group_size=1_000)
    return str(path)


def killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def a_bug() -> None:
    raise RuntimeError("a bug")


@pytest.mark.parametrize(
    ("fault", "workers"), [(killed, "2"), (a_bug, "3")], ids=["killed", "a bug"]
)
def test_a_worker_that_dies_or_fails_is_exit_1_with_nothing_on_stdout(
    run, parquet_parts, monkeypatch, forked, fault, workers
) -> None:
    parent = os.getpid()

    def in_a_child(job, part):
        if os.getpid() != parent:
            fault()
        return run_part(job, part)

    monkeypatch.setattr(workers_module, "run_part", in_a_child)
    out = run(
        "grad", LINEAR, "--at", "w=2,b=0.5", "--json", "--data", parquet_parts, "--workers", workers
    )
    assert out.code == 1 and out.stdout == ""
    assert out.error()["kind"] == "worker" and "died" in out.error()["message"]
    assert all_collected(forked)


def test_workers_stopped_early_by_an_error_are_all_collected(run, tmp_path, forked) -> None:
    x = np.linspace(1.0, 2.0, 8_000)
    x[10] = -1.0  # in the first row group, which this process computes itself
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"x": x}), path, row_group_size=1_000)
    out = run("eval", "log(x)", "--data", str(path), "--workers", "4", "--json")
    assert out.code == 1 and out.error()["row"] == 11
    assert all_collected(forked)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workers", "0"), "--workers takes a positive number or auto"),
        (("--workers", "many"), "--workers takes a positive number or auto"),
    ],
)
def test_a_bad_worker_count_is_a_usage_error(run, tmp_path, args, message) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n")
    out = run("grad", LINEAR, "--at", "w=1,b=0", "--data", str(path), *args)
    assert out.code == 2 and message in out.stderr


def test_workers_go_with_data(run) -> None:
    out = run("eval", "x", "--at", "x=1", "--workers", "2")
    assert out.code == 2 and "--workers goes with --data" in out.stderr


def test_standard_input_is_read_by_one_worker_and_more_are_a_usage_error(run, monkeypatch) -> None:
    # A regression: two workers once tried to open a file named "standard input".
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x,y\n1,2\n3,4\n")))
    out = run("grad", LINEAR, "--at", "w=1,b=0", "--data", "-", "--workers", "2")
    assert out.code == 2 and out.stdout == ""
    assert "--workers: standard input is read by one process" in out.stderr
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x,y\n1,2\n3,4\n")))
    one = run("grad", LINEAR, "--at", "w=1,b=0", "--data", "-", "--workers", "1", "--json")
    assert one.code == 0 and one.json()["samples"] == 2


def test_auto_is_at_least_one_worker() -> None:
    assert count("auto") >= 1 and count(None) == 1 and count("3") == 3


def test_a_job_travels_to_another_process_and_computes_the_same_sums(tmp_path) -> None:
    x, y = rows(1_000, seed=5)
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"x": x, "y": y}), path, row_group_size=300)
    graph = autograph.parse(LINEAR)
    job = pickle.loads(pickle.dumps(Job(graph, AT, ("w", "b"), ("x", "y"))))
    from autograph.data import open_data

    with open_data(path) as source:
        parts = source.parts()
    total = batch.Sums(("w", "b"), gradient=[0.0, 0.0])
    for part in parts:
        outcome = run_part(job, part)
        assert isinstance(outcome, batch.Sums)
        total.add(outcome)
    value, dw, db = closed_form(x, y)
    result = batch.finish(graph, total)
    assert total.rows == 1_000 and close(result.cost, value)
    assert close(result.gradient["w"], dw) and close(result.gradient["b"], db)


class FakeBar:
    """rich's Progress as far as the bar over the parts uses it."""

    def __init__(self, total: int | None) -> None:
        self.total, self.updates, self.stopped = total, [], False

    def update(self, task: object, **fields: object) -> None:
        self.updates.append(fields)

    def stop(self) -> None:
        self.stopped = True


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_the_progress_bar_counts_the_rows_of_every_part_and_file(
    tmp_path, monkeypatch, kind
) -> None:
    from autograph import data, workers

    x, y = rows(9_000, seed=4)
    for k in range(3):
        piece = slice(3_000 * k, 3_000 * (k + 1))
        if kind == "parquet":
            table = pa.table({"x": x[piece], "y": y[piece]})
            pq.write_table(table, tmp_path / f"{k}.parquet", row_group_size=1_000)
        else:
            lines = [f"{a},{b}" for a, b in zip(x[piece].tolist(), y[piece].tolist(), strict=True)]
            (tmp_path / f"{k}.csv").write_text("x,y\n" + "\n".join(lines) + "\n")
    bars: list[FakeBar] = []

    def start_bar(label: str, total: int | None) -> tuple[FakeBar, None]:
        bars.append(FakeBar(total))
        return bars[-1], None

    clock = iter(range(0, 1000, 2))
    monkeypatch.setattr(data.time, "monotonic", lambda: float(next(clock)))
    monkeypatch.setattr(data, "_start_bar", start_bar)
    with data.open_data(str(tmp_path)) as source:
        parts = source.parts()
    job = Job(autograph.graph.parse(LINEAR), AT, ("w", "b"), ("x", "y"))
    done = [run_part(job, part) for part in parts]
    shown = list(data.with_part_progress(done, parts, "runs", True, workers.rows_of))
    assert shown == done
    (bar,) = bars
    last = bar.updates[-1]
    assert last["rows"] == 9_000 and bar.stopped
    if kind == "parquet":
        assert len(parts) == 9 and bar.total == last["completed"] == 9_000
    else:
        size = sum(p.stat().st_size for p in tmp_path.glob("*.csv"))
        assert len(parts) == 3 and bar.total == last["completed"] == size
