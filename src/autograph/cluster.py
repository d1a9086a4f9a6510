"""``--scheduler ADDRESS``: the passes over a dataset's parts on a Dask distributed cluster.

The same reduction as ``--workers`` (autograph.workers): the job is sent to the
cluster once, every part is read by a worker (so the files must be where the
workers can reach them: they are given absolute paths), and the parts' sums come
back and are added in the parts' order. Connecting has a time-out (the
scheduler must answer, and have a worker, within it); a cluster that cannot be
reached, or whose workers all die, is an error, never a partial sum.

Dask is an optional extra (``pip install "autograph-cli[cluster]"``), imported
only here.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from autograph.data import Part
from autograph.errors import InputError, MathError, shorten
from autograph.workers import Failure, Job, Outcome, run_part

INSTALL = 'pip install "autograph-cli[cluster]"'
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for the scheduler, and for it to have a worker, before giving up."""


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A Dask client of the scheduler at ``address`` with at least one worker.

    An ``InputError`` if Dask is not installed, or if no scheduler answers, or
    it has no worker, within ``timeout`` seconds.
    """
    try:
        import distributed
    except ImportError:
        raise InputError(
            "missing-extra", f"running on a Dask cluster needs Dask's distributed ({INSTALL})"
        ) from None
    make: Any = distributed.Client  # untyped
    # A malformed address fails here, before a client exists to be torn down.
    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import get_backend

    try:
        get_backend(parse_address(address)[0])
    except (ValueError, TypeError) as err:
        raise InputError(
            "usage",
            "a Dask scheduler's address is tcp://HOST:PORT, "
            f"not {shorten(address)!r} "
            f"({_first_line(err)})",
        ) from None
    try:
        client: Any = make(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        raise InputError(
            "cluster",
            f"cannot reach a Dask scheduler at {shorten(address)!r} within {timeout:g} s "
            f"({_first_line(err)}); start one with `dask scheduler` and give its address "
            "(tcp://HOST:PORT)",
            address=address,
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as err:
        client.close()
        raise InputError(
            "cluster",
            f"the Dask scheduler at {shorten(address)!r} has no worker after {timeout:g} s "
            f"({_first_line(err)}); start one with `dask worker {address}`",
            address=address,
        ) from None
    return client


def _died(err: BaseException) -> MathError:
    return MathError(
        "worker",
        "the cluster did not finish a part of the data, so there is no result "
        f"({type(err).__name__}: {_first_line(err)})",
    )


def outcomes(
    client: Any, job: Job, parts: Sequence[Part], timeout: float = CONNECT_TIMEOUT
) -> Iterator[Outcome]:
    """Each part's outcome, in the parts' order, computed by the cluster's workers.

    A part that Dask gives up on (its workers died) is a ``MathError``; so is a
    cluster left without any worker for ``timeout`` seconds while parts wait.
    """
    if not parts:
        return
    from distributed import TimeoutError as DaskTimeout

    # The workers may not share our working directory: they are given absolute paths, and
    # their errors name the files as they were given here.
    given = {os.path.abspath(p.path): p.path for p in parts}
    parts = [dataclasses.replace(p, path=os.path.abspath(p.path)) for p in parts]
    sent = client.scatter(job, broadcast=True)
    futures = client.map(run_part, [sent] * len(parts), parts, pure=False)
    try:
        for future in futures:
            alone_since: float | None = None
            while True:
                try:
                    outcome = future.result(timeout=1.0)
                    break
                except (DaskTimeout, TimeoutError):
                    try:
                        workers = client.scheduler_info().get("workers")
                    except Exception as err:  # noqa: BLE001 - the scheduler is gone
                        raise _died(err) from None
                    if workers:
                        alone_since = None
                        continue
                    alone_since = alone_since or time.monotonic()
                    if time.monotonic() - alone_since > timeout:
                        raise _died(
                            TimeoutError(f"no worker left in the cluster for {timeout:g} s")
                        ) from None
                except Exception as err:  # noqa: BLE001 - a worker died or Dask failed: say which
                    raise _died(err) from None
            yield _as_given(outcome, given)
    finally:
        client.cancel(futures)


def _as_given(outcome: Outcome, given: dict[str, str]) -> Outcome:
    """A failure naming a file by its absolute path names it as the user gave it."""
    if not isinstance(outcome, Failure):
        return outcome

    def named(text: Any) -> Any:
        if isinstance(text, str):
            for absolute, path in given.items():
                if absolute != path:
                    text = text.replace(absolute, path)
        return text

    return dataclasses.replace(
        outcome,
        message=named(outcome.message),
        source=named(outcome.source),
        details={key: named(value) for key, value in outcome.details.items()},
    )
