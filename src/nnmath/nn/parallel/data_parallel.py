"""``DataParallel``: PyTorch's single-process multi-GPU wrapper, as it behaves on a machine without GPUs.

With GPUs, PyTorch splits each batch along ``dim`` across ``device_ids``, runs a replica of the module on
each and gathers the outputs on ``output_device``. With none, it keeps the module and calls it on the
whole batch, ignoring ``device_ids`` and ``output_device``; nnmath's tensors live on the CPU, so this is
what nnmath does. The wrapping is visible as PyTorch's: the wrapped module is ``.module``, and the
``state_dict`` keys start with ``module.`` (so a checkpoint saved from a wrapped model loads into one).
"""
from __future__ import annotations

from nnmath.nn.modules.module import Module


class DataParallel(Module):
    r"""Run ``module`` on each batch: y = module(x) (on the CPU, the whole batch at once).

    Args:
        module: the module to wrap.
        device_ids: the GPUs PyTorch would split the batch across; ignored without GPUs (as in PyTorch).
        output_device: where PyTorch would gather the outputs; ignored without GPUs.
        dim: the dimension PyTorch would split inputs along (default 0); ignored without GPUs.

    Shape:
        - Input: whatever ``module`` takes (positional and keyword arguments are passed through).
        - Output: what ``module`` returns.

    Attributes:
        module: the wrapped module; its parameters are registered under the prefix ``module.``.
        device_ids: ``[]``, as PyTorch sets it on a machine without GPUs.

    Example::

        >>> model = nn.DataParallel(nn.Linear(4, 2))
        >>> model(nnmath.randn(8, 4)).shape
        nnmath.Size([8, 2])
        >>> list(model.state_dict())
        ['module.weight', 'module.bias']
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0, module_kwargs=None):
    """PyTorch's functional form of :class:`DataParallel`, which needs GPUs: without them it raises
    RuntimeError, as PyTorch does. Call ``module(*inputs)`` (or wrap it in :class:`DataParallel`) instead."""
    raise RuntimeError("nn.parallel.data_parallel: no GPU to split the batch across (nnmath computes on the CPU); "
                       "call the module directly, or wrap it in nn.DataParallel, which calls it on the whole batch")
