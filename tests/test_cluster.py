"""--scheduler ADDRESS: the data's parts reduced on a Dask cluster, the in-process result.

The cluster is real: a scheduler and two workers, each its own process on
127.0.0.1 on a free port, started once for this module and stopped at its end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import autograph
from autograph import cluster as on_cluster
from autograph.errors import InputError, MathError
from autograph.graph import parse
from autograph.workers import Failure, Job

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

LINEAR = "J = 0.5*(w*x + b - y)^2"
SOURCE = str(Path(autograph.__file__).resolve().parents[1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a local cluster: a scheduler and two workers, separate processes."""
    logs = tmp_path_factory.mktemp("cluster")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": SOURCE}
    quiet = ["--no-dashboard"]
    worker = ["distributed.cli.dask_worker", address, "--host", "127.0.0.1", "--no-nanny"]
    commands = [
        ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)],
        [*worker, "--nthreads", "1"],
        [*worker, "--nthreads", "1"],
    ]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for k, command in enumerate(commands):
            with (logs / f"{k}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", *command, *quiet],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        client = distributed.Client(address, timeout=30, set_as_default=False)
        try:
            client.wait_for_workers(2, timeout=30)
        finally:
            client.close()
        yield address
    finally:
        for process in reversed(processes):
            stop(process)


def grad_json(run, *args: str) -> dict:
    out = run("grad", LINEAR, "--at", "w=2,b=0.5", "--json", *args)
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300)


def dataset(folder: Path, files: int = 3, rows: int = 30_000) -> np.ndarray:
    generator = np.random.default_rng(5)
    x = generator.normal(size=rows)
    y = 3 * x + 1 + generator.normal(size=rows)
    folder.mkdir()
    for k, (xs, ys) in enumerate(
        zip(np.array_split(x, files), np.array_split(y, files), strict=True)
    ):
        pq.write_table(pa.table({"x": xs, "y": ys}), folder / f"{k}.parquet", row_group_size=2_500)
    return x


def test_the_cluster_gives_the_in_process_result(run, scheduler, tmp_path, monkeypatch) -> None:
    dataset(tmp_path / "runs")
    monkeypatch.chdir(tmp_path)  # the workers are given the files' absolute paths
    here = grad_json(run, "--data", "runs")
    there = grad_json(run, "--data", "runs", "--scheduler", scheduler)
    assert there["samples"] == here["samples"] == 30_000
    assert close(there["value"], here["value"])
    for name in ("w", "b"):
        assert close(there["gradient"][name], here["gradient"][name])
    for ours, theirs in zip(here["nodes"], there["nodes"], strict=True):
        assert ours["value"] == pytest.approx(theirs["value"], rel=1e-12, abs=1e-300)


def test_eval_on_the_cluster_keeps_the_order_of_the_rows(run, scheduler, tmp_path) -> None:
    x = dataset(tmp_path / "runs", files=2, rows=6_000)
    where = ("--data", str(tmp_path / "runs"), "--scheduler", scheduler)
    out = run("eval", "z = 2*x", "--ignore-extra-columns", *where)
    assert out.code == 0, out.stderr
    values = np.array([float(v) for v in out.stdout.split()[1:]])
    assert np.array_equal(values, 2 * x)


def test_a_bad_value_on_the_cluster_names_the_file_as_given(
    run, scheduler, tmp_path, monkeypatch
) -> None:
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n3,oops\n")
    monkeypatch.chdir(tmp_path)
    out = run("grad", LINEAR, "--at", "w=2,b=0.5", "--data", "bad.csv", "--scheduler", scheduler)
    assert out.code == 2 and out.stdout == ""
    assert "bad.csv, line 3, column 2" in out.stderr and str(tmp_path) not in out.stderr


def test_a_scheduler_that_is_not_there_is_a_clear_error_within_its_time_out(tmp_path) -> None:
    (tmp_path / "d.csv").write_text("x,y\n1,2\n")
    address = f"tcp://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "autograph", "grad", LINEAR, "--at", "w=2,b=0.5"]
    command += ["--data", str(tmp_path / "d.csv"), "--scheduler", address, "--timeout", "1"]
    env = {**os.environ, "PYTHONPATH": SOURCE, "NO_COLOR": "1"}
    # subprocess's timeout only guards against a hang: the command must end on its own.
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert f"cannot reach a Dask scheduler at '{address}' within 1 s" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--scheduler", "nonsense://x"],
            "a Dask scheduler's address is tcp://HOST:PORT, not 'nonsense://x'",
        ),
        (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "not both"),
        (["--scheduler", "tcp://127.0.0.1:1", "--timeout", "0"], "--timeout takes a number"),
    ],
)
def test_bad_cluster_options_are_usage_errors(run, tmp_path, args, message) -> None:
    (tmp_path / "d.csv").write_text("x,y\n1,2\n")
    out = run("grad", LINEAR, "--at", "w=2,b=0.5", "--data", str(tmp_path / "d.csv"), *args)
    assert out.code == 2 and out.stdout == "" and message in out.stderr


def test_scheduler_and_its_timeout_go_with_data(run) -> None:
    out = run("eval", "x", "--at", "x=1", "--scheduler", "tcp://127.0.0.1:1")
    assert out.code == 2 and "--scheduler goes with --data" in out.stderr
    out = run("eval", "x", "--at", "x=1", "--timeout", "3")
    assert out.code == 2 and "--timeout goes with --scheduler" in out.stderr


def test_the_workers_cannot_read_standard_input(run) -> None:
    out = run("grad", LINEAR, "--data", "-", "--scheduler", "tcp://127.0.0.1:1")
    assert out.code == 2 and "not standard input" in out.stderr


def test_without_distributed_the_message_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InputError, match=r"autograph-cli\[cluster\]"):
        on_cluster.connect("tcp://127.0.0.1:1")


class FakeFuture:
    def __init__(self, outcome: object = None, error: BaseException | None = None) -> None:
        self.outcome, self.error = outcome, error

    def result(self, timeout: float | None = None) -> object:
        if self.error is not None:
            raise self.error
        return self.outcome


class FakeClient:
    """Dask's client as far as ``outcomes`` uses it, with workers that die."""

    def __init__(self, futures: list[FakeFuture], workers: dict) -> None:
        self.futures, self.workers, self.cancelled = futures, workers, False

    def scatter(self, job: Job, broadcast: bool) -> Job:
        return job

    def map(self, function: object, jobs: list, parts: list, pure: bool) -> list[FakeFuture]:
        return self.futures

    def cancel(self, futures: list) -> None:
        self.cancelled = True

    def scheduler_info(self) -> dict:
        return {"workers": self.workers}


def parts(n: int) -> list:
    from autograph.data import Part

    return [Part(f"p{k}.csv", "csv") for k in range(n)]


def test_a_part_whose_workers_died_is_an_error_never_a_partial_sum() -> None:
    from autograph.batch import Sums

    killed = RuntimeError("Attempted to run task on 3 different workers, all of which died")
    client = FakeClient([FakeFuture(Sums(("w",), gradient=[1.0])), FakeFuture(error=killed)], {})
    job = Job(parse("J = w*x"), {"w": 1.0}, ("w",), ("x",))
    got = on_cluster.outcomes(client, job, parts(2))
    next(got)
    with pytest.raises(MathError, match="did not finish a part of the data"):
        next(got)
    assert client.cancelled


def test_a_cluster_left_without_workers_is_an_error_not_a_hang() -> None:
    waiting = FakeFuture(error=distributed.TimeoutError())
    client = FakeClient([waiting], workers={})
    job = Job(parse("J = w*x"), {"w": 1.0}, ("w",), ("x",))
    with pytest.raises(MathError, match="no worker left"):
        list(on_cluster.outcomes(client, job, parts(1), timeout=0.01))


def test_a_failure_on_the_cluster_names_the_file_as_it_was_given() -> None:
    absolute = os.path.abspath("p0.csv")
    failure = Failure(True, "data", f"{absolute}, line 3: bad", None, absolute, {"file": absolute})
    client = FakeClient([FakeFuture(failure)], {"w": {}})
    job = Job(parse("J = w*x"), {"w": 1.0}, ("w",), ("x",))
    (got,) = on_cluster.outcomes(client, job, parts(1))
    assert isinstance(got, Failure)
    assert got.message == "p0.csv, line 3: bad" and got.source == "p0.csv"
    assert got.details == {"file": "p0.csv"}
