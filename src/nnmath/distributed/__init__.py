"""``nnmath.distributed``: ``torch.distributed``'s API on MPI, for data-parallel training over
processes and machines.

Start N processes with ``python -m nnmath.distributed.run -n N script.py`` (or ``mpiexec -n N python
script.py``; several machines: ``--hostfile``), and in the script::

    import nnmath.distributed as dist
    dist.init_process_group(backend="mpi")        # "gloo" is accepted too: both run on MPI
    rank, world = dist.get_rank(), dist.get_world_size()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)      # t ← Σ_ranks t, on every rank

The collectives, for rank r's tensor tᵣ and N ranks:

- ``all_reduce``: every rank gets ⊕ᵣ tᵣ (⊕: SUM, AVG = SUM / N, PRODUCT, MIN, MAX, BAND, BOR, BXOR);
- ``broadcast``: every rank gets t_src;
- ``all_gather``: every rank gets the list [t₀, …, t_{N−1}];
- ``reduce_scatter``: rank r gets ⊕ₛ (input_list of rank s)[r];
- ``barrier``: no rank leaves before all have arrived.

A collective must be called by every rank, in the same order. Each waits at most the group's
``timeout`` (30 minutes by default, as PyTorch's) and then raises :class:`DistBackendError`; an
uncaught exception on any rank ends all of them (``MPI_Abort``), so a failed job never hangs.
mpi4py (``pip install 'nnmath[distributed]'``) is needed from ``init_process_group`` on; importing
this package, ``nn.parallel`` or ``DistributedSampler`` does not need it.
"""
from __future__ import annotations

import datetime
import importlib.util
import os

import numpy as np

from nnmath.distributed.mpi import DistBackendError, DistError, ReduceOp, Work
from nnmath.distributed.mpi import ProcessGroupMPI, abort_on_uncaught_exception, import_mpi
from nnmath.tensor import Tensor

__all__ = ["DistBackendError", "DistError", "ReduceOp", "Work", "all_gather", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_backend", "get_rank", "get_world_size", "init_process_group",
           "is_available", "is_initialized", "is_mpi_available", "reduce_scatter"]

#: PyTorch's default for CPU process groups.
default_pg_timeout = datetime.timedelta(minutes=30)

_BACKENDS = {"mpi", "gloo", "cpu:mpi", "cpu:gloo"}
_LAUNCH = "python -m nnmath.distributed.run -n N script.py (or mpiexec -n N python script.py)"
_default_group: ProcessGroupMPI | None = None


def is_available() -> bool:
    """True: the package is always importable (its collectives need mpi4py, see is_mpi_available)."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py is installed (it is not imported here: importing it starts MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    return _default_group is not None


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the job's processes into the default group: MPI's ``COMM_WORLD``.

    MPI's launcher has already told each process its rank and the world size, so no address is
    needed: ``init_method`` may be None, ``"env://"`` or any other URL (unused), and ``world_size`` /
    ``rank``, when given or set in the environment (``WORLD_SIZE`` / ``RANK``, as launchers set
    them), must agree with MPI's or the call raises, saying how to launch.

    Args:
        backend: ``"mpi"``, or ``"gloo"`` (PyTorch's CPU backend, so that its programs run unchanged;
            here it is MPI too), or None. ``"nccl"`` (GPU) is refused.
        timeout: how long a collective waits for the other ranks (a timedelta or seconds; default 30 min).
    """
    global _default_group
    if _default_group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    _check_backend(backend)
    if store is not None:
        raise ValueError("init_process_group: a store is not used: MPI connects the ranks itself; launch with "
                         + _LAUNCH)
    MPI = import_mpi()
    group = ProcessGroupMPI(MPI.COMM_WORLD, _seconds(default_pg_timeout if timeout is None else timeout))
    try:
        _check_world(group, world_size, rank)
    except ValueError:
        group.free()
        raise
    if group.size() > 1:
        abort_on_uncaught_exception(group)
    _default_group = group


def destroy_process_group(group=None) -> None:
    """Leave the default group (MPI itself stays up until the process exits)."""
    global _default_group
    _group(group, "destroy_process_group").free()
    _default_group = None


def get_rank(group=None) -> int:
    """This process's rank, 0 … world size − 1."""
    return _group(group, "get_rank").rank()


def get_world_size(group=None) -> int:
    """The number of processes in the group."""
    return _group(group, "get_world_size").size()


def get_backend(group=None) -> str:
    return _group(group, "get_backend").name()


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Wait until every rank has called barrier."""
    work = _group(group, "barrier").barrier()
    return _finish(work, async_op, timeout)


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """``tensor`` ← ⊕ over ranks of ``tensor``, in place on every rank."""
    pg = _group(group, "all_reduce")
    buffer, write_back = _writable_buffer(tensor, "all_reduce")
    return _finish(pg.allreduce(buffer, op).then(write_back), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False, group_src=None):
    """``tensor`` ← rank ``src``'s ``tensor``, in place on every rank."""
    pg = _group(group, "broadcast")
    src = group_src if src is None else src
    if src is None:
        raise ValueError("broadcast: give the source rank, src=")
    buffer, write_back = _writable_buffer(tensor, "broadcast")
    return _finish(pg.broadcast(buffer, int(src)).then(write_back), async_op)


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """``tensor_list[r]`` ← rank r's ``tensor``, on every rank (all of one shape and dtype)."""
    pg = _group(group, "all_gather")
    _check_list(tensor_list, tensor, pg.size(), "all_gather", "tensor_list")
    send = np.ascontiguousarray(_data(tensor, "all_gather"))
    receive = np.empty((pg.size(),) + send.shape, send.dtype)

    def write_back():
        for out, block in zip(tensor_list, receive):
            _assign(out, block)
    return _finish(pg.allgather(send, receive).then(write_back), async_op)


def reduce_scatter(output: Tensor, input_list: list, op: ReduceOp = ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """``output`` on rank r ← ⊕ over ranks s of rank s's ``input_list[r]``."""
    pg = _group(group, "reduce_scatter")
    _check_list(input_list, output, pg.size(), "reduce_scatter", "input_list")
    send = np.concatenate([np.ascontiguousarray(t._data).reshape(-1) for t in input_list])
    receive, write_back = _writable_buffer(output, "reduce_scatter")
    return _finish(pg.reduce_scatter(send, receive, op).then(write_back), async_op)


# --- helpers ------------------------------------------------------------------------------------

def _check_backend(backend):
    name = "mpi" if backend is None else str(backend).lower()
    if name in _BACKENDS:
        return
    if "nccl" in name:
        raise ValueError(f"init_process_group: backend {backend!r} (GPU to GPU) is not available: nnmath's "
                         "collectives run with MPI on the CPU; use backend='gloo' or 'mpi' (both mean MPI here)")
    raise ValueError(f"init_process_group: unknown backend {backend!r}; expected 'mpi' or 'gloo' (both run on MPI)")


def _check_world(group, world_size, rank):
    """The world size and rank MPI gives must be those the program or its launcher asked for."""
    size, mine = group.size(), group.rank()
    asked = [("world_size=", world_size), ("WORLD_SIZE=", _env_int("WORLD_SIZE"))]
    for source, value in asked:
        if value is not None and value >= 0 and value != size:
            hint = (f"this process was not started by an MPI launcher, so it is alone: launch the {value} "
                    f"processes with {_LAUNCH.replace('N', str(value))}" if size == 1 else
                    f"launch exactly {value} processes, or change {source.rstrip('=')}")
            raise ValueError(f"init_process_group: mismatched world sizes: {source}{value} but MPI started "
                             f"{size} process{'es' if size != 1 else ''}; {hint}")
    for source, value in [("rank=", rank), ("RANK=", _env_int("RANK"))]:
        if value is not None and value >= 0 and value != mine:
            raise ValueError(f"init_process_group: {source}{value} but MPI gave this process rank {mine}; "
                             f"let MPI number the ranks (pass no rank, or launch with {_LAUNCH})")


def _env_int(name):
    value = os.environ.get(name)
    return None if value in (None, "") else int(value)


def _seconds(timeout) -> float:
    return timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)


def _group(group, what) -> ProcessGroupMPI:
    if _default_group is None:
        raise ValueError(f"{what}: Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    if group is not None and group is not _default_group:
        raise ValueError(f"{what}: only the default group (group=None) exists in nnmath.distributed")
    return _default_group


def _finish(work: Work, async_op: bool, timeout=None):
    if async_op:
        return work
    work.wait(timeout)
    return None


def _data(tensor, what) -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: expected an nnmath Tensor, got {type(tensor).__name__}")
    return tensor._data


def _writable_buffer(tensor, what):
    """A C-contiguous array MPI may write into, and the callback that puts it back into ``tensor``."""
    data = _data(tensor, what)
    if data.flags.c_contiguous and data.flags.writeable:
        return data, lambda: _bump_version(tensor)
    buffer = np.ascontiguousarray(data).copy()
    return buffer, lambda: _assign(tensor, buffer)


def _assign(tensor, values):
    tensor._data[...] = values
    _bump_version(tensor)


def _bump_version(tensor):
    tensor._vc.value += 1  # changed in place: autograd must see it as it sees any in-place op


def _check_list(tensors, like, size, what, name):
    data = _data(like, what)
    if len(tensors) != size:
        raise ValueError(f"{what}: {name} must hold one tensor per rank ({size}), got {len(tensors)}")
    for i, t in enumerate(tensors):
        other = _data(t, what)
        if other.shape != data.shape or other.dtype != data.dtype:
            raise ValueError(f"{what}: {name}[{i}] has shape {tuple(other.shape)} and dtype {other.dtype}; "
                             f"every tensor must match the other argument's shape {tuple(data.shape)} and dtype "
                             f"{data.dtype}")
