"""``DistributedDataParallel``: one model replica per process, gradients averaged over the processes.

Rank r computes, on its share Bᵣ of a global batch B (|Bᵣ| = |B| / N), the gradient of its mean
loss gᵣ = (1/|Bᵣ|) Σ_{i∈Bᵣ} ∇ℓᵢ. DDP replaces every rank's gradient by the average

    ḡ = (1/N) Σᵣ gᵣ = (1/|B|) Σ_{i∈B} ∇ℓᵢ,

the gradient one process would compute on the whole batch. Since the replicas start equal (rank 0's
parameters and buffers are broadcast when the model is wrapped) and apply the same optimizer step to
the same ḡ, they stay equal, and N processes train the model one process would with N times the
batch: the same numbers up to the order of float32 additions.

How (PyTorch's design): the parameters are grouped into buckets of about ``bucket_cap_mb`` MiB, in
the reverse of their definition order (backward produces the last layers' gradients first), the first
bucket reduced being capped at 1 MiB; after the first iteration the buckets are rebuilt in the order
the gradients actually became ready. A post-accumulate-grad hook on each parameter marks it ready
during backward; when a bucket's gradients are all ready they are copied into one flat array
multiplied by 1/N and its all-reduce (MPI ``Iallreduce``, sum) starts while backward goes on with the
earlier layers. Buckets start in the same order on every rank, as collectives must. A callback queued
in the engine waits for all of them when backward ends and writes ḡ back into each ``.grad``.
"""
from __future__ import annotations

import contextlib
import zlib

import numpy as np

from nnmath import distributed as dist
from nnmath.autograd.engine import queue_callback
from nnmath.autograd.grad_mode import is_grad_enabled
from nnmath.distributed.mpi import ReduceOp
from nnmath.nn.modules.module import Module
from nnmath.tensor import Tensor

__all__ = ["DistributedDataParallel"]

_MIB = 1024 * 1024
_DEFAULT_BUCKET_CAP_MB = 25
_DEFAULT_FIRST_BUCKET_BYTES = 1 * _MIB


class DistributedDataParallel(Module):
    r"""Data parallelism over processes: wraps ``module`` so that ``backward()`` leaves every rank with
    the gradient averaged over all ranks, ḡ = (1/N) Σᵣ gᵣ.

    Args:
        module: the model; its parameters and buffers are broadcast from rank 0 on wrapping.
        device_ids, output_device: for GPU modules in PyTorch; must be None (nnmath's are on the CPU).
        dim: accepted for PyTorch compatibility (inputs are not scattered: each rank feeds its own).
        broadcast_buffers: broadcast rank 0's buffers (BatchNorm statistics) before every forward.
        init_sync: broadcast rank 0's parameters and buffers when wrapping (default True).
        process_group: the group (default: the default group).
        bucket_cap_mb: the bucket size limit in MiB (default 25, the first bucket reduced 1 MiB).
        find_unused_parameters: allow parameters that get no gradient in an iteration (on some or all
            ranks); they count as zeros in the average, and a parameter unused on every rank keeps
            its ``.grad``. Without it, such a parameter raises an error naming it.
        check_reduction, gradient_as_bucket_view, static_graph: accepted; they change nothing here.

    Attributes:
        module: the wrapped model (save ``ddp.module.state_dict()`` for checkpoints without the
            ``module.`` prefix).

    Example:
        >>> dist.init_process_group("mpi")
        >>> model = DistributedDataParallel(Net())
        >>> for x, y in loader:                    # a DistributedSampler gives each rank its share
        ...     optimizer.zero_grad()
        ...     loss_fn(model(x), y).backward()    # gradients averaged over the ranks
        ...     optimizer.step()
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False):
        super().__init__()
        if device_ids is not None or output_device is not None:
            raise ValueError(f"DistributedDataParallel: device_ids {device_ids} and output_device {output_device} "
                             "are for GPU modules; nnmath's modules are on the CPU: pass neither")
        self.module = module
        self.process_group = process_group
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        _verify_same_model_on_every_rank(named, process_group)
        if init_sync:
            _broadcast_coalesced(list(module.parameters()) + list(module.buffers()), process_group)
        first, cap = ((_DEFAULT_FIRST_BUCKET_BYTES, _DEFAULT_BUCKET_CAP_MB * _MIB) if bucket_cap_mb is None
                      else (int(bucket_cap_mb * _MIB),) * 2)
        self.bucket_bytes_cap = cap
        self.reducer = _Reducer(named, (first, cap), process_group, find_unused_parameters)

    def forward(self, *inputs, **kwargs):
        sync = is_grad_enabled() and self.require_backward_grad_sync
        self.reducer.prepare_for_backward(sync)
        if self.broadcast_buffers and is_grad_enabled() and self.require_forward_param_sync:
            _broadcast_coalesced(list(self.module.buffers()), self.process_group)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Within this context, backward accumulates gradients locally without averaging them; the
        first backward after it (its forward outside the context) averages the accumulated sums.
        For gradient accumulation: k micro-batches cost one all-reduce instead of k."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _assign_buckets(params, limits):
    """PyTorch's ``compute_bucket_assignment_by_size``: walk ``params`` in order, one open bucket per
    dtype; close a bucket once it holds ≥ its limit (the first bucket ``limits[0]`` bytes, the later
    ones ``limits[1]``). Returns lists of parameter positions, ordered by their first position."""
    open_buckets, sizes, closed, count = {}, {}, [], {}
    for position, (_, p) in enumerate(params):
        key = p._data.dtype
        open_buckets.setdefault(key, []).append(position)
        sizes[key] = sizes.get(key, 0) + p._data.nbytes
        limit = limits[0] if count.get(key, 0) == 0 else limits[1]
        if sizes[key] >= limit:
            closed.append(open_buckets.pop(key))
            sizes[key] = 0
            count[key] = count.get(key, 0) + 1
    closed.extend(bucket for bucket in open_buckets.values() if bucket)
    return sorted(closed, key=min)


class _Bucket:
    """Parameters reduced together: their gradients side by side in one flat array."""

    def __init__(self, params):
        self.params = params
        self.offsets = np.cumsum([0] + [p._data.size for p in params])
        self.flat = np.empty(int(self.offsets[-1]), params[0]._data.dtype)
        self.ready = 0
        self.work = None

    def views(self):
        for p, start, stop in zip(self.params, self.offsets[:-1], self.offsets[1:]):
            yield p, self.flat[start:stop].reshape(p._data.shape)


class _Reducer:
    """Starts each bucket's all-reduce when its gradients are ready and waits for all of them when
    backward ends (PyTorch's ``Reducer``, without its GPU and sparse paths)."""

    def __init__(self, named, limits, group, find_unused):
        self.names = [name for name, _ in named]
        self.params = [p for _, p in named]
        self.position = {id(p): i for i, p in enumerate(self.params)}
        self.limits = limits
        self.group = group
        self.find_unused = find_unused
        self.world = dist.get_world_size(group)
        self._build([list(reversed(b)) for b in reversed(_assign_buckets(named, limits))])
        self.ready_order = []    # positions in the order gradients became ready, until the rebuild
        self.rebuilt = False
        self.prepare_for_backward(False)
        for p in self.params:
            p.register_post_accumulate_grad_hook(self._ready)

    def _build(self, buckets):
        self.buckets = [_Bucket([self.params[i] for i in positions]) for positions in buckets]
        self.bucket_of = {id(p): b for b in self.buckets for p in b.params}

    def prepare_for_backward(self, sync: bool):
        """Called by forward: the next backward reduces (``sync``) or only accumulates (no_sync)."""
        if sync and self.ready_order and not self.rebuilt:
            self._rebuild_in_ready_order()
        self.expect_hooks = sync
        self.queued = False
        self.next_bucket = 0
        self.seen = set()
        for bucket in self.buckets:
            bucket.ready, bucket.work = 0, None

    def _rebuild_in_ready_order(self):
        """PyTorch rebuilds the buckets once, after the first iteration, in the order the gradients
        became ready, so that the first bucket fills as early as backward allows. The order is rank
        0's, broadcast: every rank must build the same buckets."""
        self.rebuilt = True
        seen = list(dict.fromkeys(self.ready_order))
        order = Tensor._make(np.array(seen + [i for i in range(len(self.params)) if i not in set(seen)], np.int64))
        dist.broadcast(order, 0, group=self.group)
        positions = order._data.tolist()
        named = [(self.names[i], self.params[i]) for i in positions]
        self._build([[positions[j] for j in bucket] for bucket in _assign_buckets(named, self.limits)])

    def _ready(self, p):
        """Post-accumulate-grad hook: ``p.grad`` is complete for this backward."""
        if not self.expect_hooks:
            return
        if not self.queued:
            queue_callback(self._finalize)
            self.queued = True
        if not self.rebuilt:
            self.ready_order.append(self.position[id(p)])
        self.seen.add(id(p))
        self.bucket_of[id(p)].ready += 1
        self._start_buckets()
        for bucket in self.buckets[:self.next_bucket]:
            bucket.work.is_completed()   # MPI moves a collective forward only inside MPI calls

    def _start_buckets(self, all_of_them=False):
        """Start the buckets in order while the next one is full (or every one left: ``all_of_them``)."""
        while self.next_bucket < len(self.buckets):
            bucket = self.buckets[self.next_bucket]
            if bucket.ready < len(bucket.params) and not all_of_them:
                return
            for p, view in bucket.views():
                if p.grad is None:
                    view.fill(0)
                else:
                    np.multiply(p.grad._data, 1.0 / self.world, out=view)  # as PyTorch: scale, then sum
            bucket.work = dist.all_reduce(Tensor._make(bucket.flat), ReduceOp.SUM, group=self.group, async_op=True)
            self.next_bucket += 1

    def _finalize(self):
        """Engine callback at the end of backward: start what is left, wait, write ḡ into ``.grad``.
        Every rank starts the same collectives in the same order: the buckets, then (with
        find_unused_parameters) the map of which parameters were used anywhere."""
        self.expect_hooks = False
        missing = [name for name, p in zip(self.names, self.params) if id(p) not in self.seen]
        if missing and not self.find_unused:
            raise RuntimeError(
                f"DistributedDataParallel: parameters that received no gradient in this backward: "
                f"{', '.join(missing)}. Every parameter must take part in the loss on every rank, or wrap "
                f"the model with find_unused_parameters=True (their gradients then count as zero).")
        self._start_buckets(all_of_them=True)
        used_anywhere = self._used_anywhere() if self.find_unused else None
        for bucket in self.buckets:
            bucket.work.wait()
            for p, view in bucket.views():
                if used_anywhere is None or id(p) in used_anywhere:
                    _write_grad(p, view)

    def _used_anywhere(self):
        used = Tensor._make(np.array([id(p) in self.seen for p in self.params], np.int32))
        dist.all_reduce(used, ReduceOp.MAX, group=self.group)
        return {id(p) for p, flag in zip(self.params, used._data) if flag}


def _write_grad(p, values):
    if p.grad is None:
        p.grad = Tensor._make(values.copy())
    else:
        p.grad._data[...] = values
        p.grad._vc.value += 1


def _broadcast_coalesced(tensors, group):
    """Rank 0's values into ``tensors`` on every rank: one broadcast per dtype, of all of them
    flattened side by side (PyTorch's ``_broadcast_coalesced``)."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for same in by_dtype.values():
        flat = Tensor._make(np.concatenate([t._data.reshape(-1) for t in same]))
        dist.broadcast(flat, 0, group=group)
        start = 0
        for t in same:
            t._data[...] = flat._data[start:start + t._data.size].reshape(t._data.shape)
            t._vc.value += 1
            start += t._data.size


def _verify_same_model_on_every_rank(named, group):
    """Raise on every rank, naming what differs, when the ranks wrap models with different parameters
    (averaging would otherwise mix unrelated numbers, or hang on mismatched buckets)."""
    layout = ";".join(f"{name}:{tuple(p.shape)}:{p._data.dtype}" for name, p in named)
    mine = np.array([len(named), sum(p._data.size for _, p in named), zlib.crc32(layout.encode())], np.int64)
    low, high = Tensor._make(mine.copy()), Tensor._make(mine.copy())
    dist.all_reduce(low, ReduceOp.MIN, group=group)
    dist.all_reduce(high, ReduceOp.MAX, group=group)
    if not np.array_equal(low._data, high._data):
        raise ValueError(
            f"DistributedDataParallel: the ranks wrap different models. Rank {dist.get_rank(group)} has "
            f"{mine[0]} parameters with {mine[1]} values; over all ranks the count of parameters ranges "
            f"{low._data[0]}…{high._data[0]} and of values {low._data[1]}…{high._data[1]} (or their names, "
            f"shapes or dtypes differ). Build the same model on every rank.")
