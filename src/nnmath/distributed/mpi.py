"""The MPI process group: ``torch.distributed``'s collectives on an MPI communicator (mpi4py).

Every collective is MPI's non-blocking form (``Iallreduce``, ``Ibcast``, ``Iallgather``,
``Ireduce_scatter_block``, ``Ibarrier``) returned as a :class:`Work`; waiting polls the request
until it completes or the group's timeout passes. A blocking MPI call would wait forever for a rank
that died or left; here the waiting rank raises :class:`DistBackendError` saying what it waited for,
and an uncaught exception on any rank calls ``MPI_Abort``, which ends every rank of the job.

MPI makes progress on a non-blocking collective only inside MPI calls (MPICH starts no progress
thread by default), so polling is also what moves a collective forward: tests back to back for the first
5 ms (an all-reduce of a few MB finishes about as fast as MPI's blocking one), then until 50 ms a
test after each yield of the processor (other ranks on the same core run meanwhile: more ranks than
cores is common on a laptop), then a test every millisecond, which costs a long wait nothing.
"""
from __future__ import annotations

import enum
import sys
import time

import numpy as np


class DistError(RuntimeError):
    """An error of the distributed package (``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """A collective failed or timed out (``torch.distributed.DistBackendError``)."""


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce_scatter`` combine the ranks' values (PyTorch's numbering)."""
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"


_SPINNING_SECONDS, _YIELDING_SECONDS, _PAUSE = 5e-3, 0.05, 1e-3


def import_mpi():
    """``mpi4py.MPI``, or an ImportError that says what to install."""
    try:
        from mpi4py import MPI  # deferred: mpi4py is an optional extra, and importing it starts MPI
    except (ImportError, RuntimeError, OSError) as error:
        raise ImportError(
            f"nnmath.distributed needs mpi4py and an MPI library ({error}). Install both into this "
            "environment with: pip install 'nnmath[distributed]' (the mpi4py and mpich wheels; no "
            "system packages needed), or pip install mpi4py next to a system MPI (apt-get install "
            "mpich, or openmpi-bin libopenmpi-dev)") from error
    return MPI


class Work:
    """A collective in flight (``torch.distributed.Work``): ``wait()`` blocks until it completes, at
    most the group's timeout, then writes the result into the tensors it was given."""

    def __init__(self, group, request, what, finish=None):
        self._group = group
        self._request = request
        self._what = what
        self._finish = [] if finish is None else [finish]
        self._done = False

    def then(self, callback) -> "Work":
        """Call ``callback()`` on completion, after the callbacks already given; returns self."""
        self._finish.append(callback)
        return self

    def is_completed(self) -> bool:
        """Whether the collective has completed (never blocks; also moves it forward)."""
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        """Block until completion; raise DistBackendError after ``timeout`` (a timedelta or seconds;
        default: the group's)."""
        if self._done:
            return True
        seconds = self._group.timeout if timeout is None else _seconds(timeout)
        start = time.monotonic()
        while not self._request.Test():
            waited = time.monotonic() - start
            if waited > seconds:
                raise DistBackendError(
                    f"{self._what}: rank {self._group.rank()} of {self._group.size()} waited {waited:.1f} s "
                    f"(the timeout) for the other ranks to join. A rank that died, left early, or runs a "
                    f"different sequence of collectives never joins; its own output says which.")
            if waited > _SPINNING_SECONDS:
                time.sleep(0 if waited < _YIELDING_SECONDS else _PAUSE)
        self._complete()
        return True

    def _complete(self):
        self._done = True
        for callback in self._finish:
            callback()


def _seconds(timeout) -> float:
    return timeout.total_seconds() if hasattr(timeout, "total_seconds") else float(timeout)


class ProcessGroupMPI:
    """All the ranks of an MPI communicator (a duplicate of ``MPI.COMM_WORLD``: nnmath's messages
    never mix with those of other MPI code in the program)."""

    def __init__(self, comm, timeout: float):
        self._MPI = import_mpi()
        self._comm = comm.Dup()
        self.timeout = timeout
        self._ops = {ReduceOp.SUM: self._MPI.SUM, ReduceOp.AVG: self._MPI.SUM, ReduceOp.PRODUCT: self._MPI.PROD,
                     ReduceOp.MIN: self._MPI.MIN, ReduceOp.MAX: self._MPI.MAX, ReduceOp.BAND: self._MPI.BAND,
                     ReduceOp.BOR: self._MPI.BOR, ReduceOp.BXOR: self._MPI.BXOR}

    def rank(self) -> int:
        return self._comm.Get_rank()

    def size(self) -> int:
        return self._comm.Get_size()

    def name(self) -> str:
        return "mpi"

    def allreduce(self, array: np.ndarray, op: ReduceOp) -> Work:
        """Reduce ``array`` over the ranks, in place (AVG: the sum, then divided by the size)."""
        self._check_op(op, array.dtype, "all_reduce")
        request = self._comm.Iallreduce(self._MPI.IN_PLACE, array, self._ops[op])
        finish = (lambda: np.divide(array, self.size(), out=array)) if op is ReduceOp.AVG else None
        return Work(self, request, f"all_reduce of {array.size} {array.dtype} values", finish)

    def broadcast(self, array: np.ndarray, src: int) -> Work:
        self._check_rank(src, "broadcast")
        return Work(self, self._comm.Ibcast(array, root=src), f"broadcast of {array.size} values from rank {src}")

    def allgather(self, send: np.ndarray, receive: np.ndarray) -> Work:
        """``receive`` (size × send.size) gets every rank's ``send``, in rank order."""
        return Work(self, self._comm.Iallgather(send, receive), f"all_gather of {send.size} values per rank")

    def reduce_scatter(self, send: np.ndarray, receive: np.ndarray, op: ReduceOp) -> Work:
        """Rank r's ``receive`` gets the reduction over ranks of block r of ``send`` (size blocks)."""
        self._check_op(op, send.dtype, "reduce_scatter")
        request = self._comm.Ireduce_scatter_block(send, receive, self._ops[op])
        finish = (lambda: np.divide(receive, self.size(), out=receive)) if op is ReduceOp.AVG else None
        return Work(self, request, f"reduce_scatter of {receive.size} values per rank", finish)

    def barrier(self) -> Work:
        return Work(self, self._comm.Ibarrier(), "barrier")

    def free(self) -> None:
        self._comm.Free()

    def _check_op(self, op, dtype, what):
        if not isinstance(op, ReduceOp):
            raise TypeError(f"{what}: op must be a ReduceOp (ReduceOp.SUM, AVG, MAX, ...), got {op!r}")
        if op is ReduceOp.AVG and dtype.kind not in "fc":
            raise TypeError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {dtype}; use SUM and "
                            f"divide by the world size")
        if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "iub":
            raise TypeError(f"{what}: {op.name} needs an integer or bool tensor, got {dtype}")

    def _check_rank(self, rank, what):
        if not 0 <= rank < self.size():
            raise ValueError(f"{what}: rank {rank} is not in the group of {self.size()} ranks "
                             f"(0 … {self.size() - 1})")


_abort_hook_installed = False
_FORWARD_SECONDS = 0.5  # for MPI's launcher to pass on this rank's last output before the abort ends it


def abort_job(message: str) -> None:
    """Print ``message``, then end every rank of the job (MPI_Abort; MPI is started if it was not:
    a rank that fails before starting it would otherwise leave the others waiting in theirs)."""
    sys.stdout.flush()
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    time.sleep(_FORWARD_SECONDS)
    import_mpi().COMM_WORLD.Abort(1)


def abort_on_uncaught_exception(group: ProcessGroupMPI) -> None:
    """Make an uncaught exception on this rank end the whole job (after printing it), instead of
    leaving the other ranks waiting in a collective this rank will never join. Once per process."""
    global _abort_hook_installed
    if _abort_hook_installed:
        return
    _abort_hook_installed = True
    previous = sys.excepthook
    rank, size = group.rank(), group.size()

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        abort_job(f"nnmath.distributed: rank {rank} of {size} stopped on an uncaught {kind.__name__}; ending all "
                  f"{size} ranks (MPI_Abort)")

    sys.excepthook = hook
