"""The op table's entry type and the checks generated from it (see STYLE.md: one table drives the tests).

Any test directory may hold an ``op_db.py`` exporting ``OP_DB``: a list of :class:`OpInfo`.
``tests/test_op_db.py`` collects every one of them and runs, for each sample of each entry:
float64 gradcheck and gradgradcheck, PyTorch parity of forward and backward (float32 and float64,
skipped without torch), PyTorch parity of Hessian-vector products (float64), and a non-contiguous-input
check. Samples include each op's special points (see :class:`Sample`). ``test_every_function_is_covered`` fails
when a registered ``Function`` appears in no entry's ``covers``.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import pathlib
from typing import Any, Callable

import numpy as np


@dataclasses.dataclass
class Sample:
    """One call: ``args`` are NumPy arrays or plain values, ``kwargs`` plain values.

    Floating arrays become differentiable tensors; integer/bool arrays become constant tensors;
    anything else passes through unchanged.

    smooth:   False at a point where the op is not differentiable (a kink, a tie, a boundary of the
              domain): finite differences straddle it, so gradcheck and gradgradcheck are skipped and
              the derivative must equal PyTorch's documented convention (the parity tests, first and
              second order, still run).
    differs:  why nnmath's second derivative deliberately differs from PyTorch's at this point: PyTorch
              drops a term of the mathematical one (gradgradcheck proves nnmath's), or PyTorch's is NaN
              at a kink where nnmath's is the derivative of its first-derivative convention. Only the
              Hessian-vector-product parity is skipped; values and first derivatives must still match.
    grad_differs: why nnmath's first derivative deliberately differs from PyTorch's here (PyTorch's is not
              the mathematical one, e.g. 0 for det at a singular matrix): gradient and Hessian parity
              are skipped, gradcheck proves nnmath's where the op is smooth.
    """
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    smooth: bool = True
    differs: str = ""
    grad_differs: str = ""


@dataclasses.dataclass
class OpInfo:
    """One op of the table.

    name:      test id
    op:        ``op(nnmath_module, *tensors, **kwargs)``; the same callable with ``torch`` as the
               first argument is the PyTorch reference unless ``torch_op`` is given
    samples:   ``samples(rng) -> list[Sample]`` (small shapes: gradcheck is O(numel²))
    special:   the op's special points: ``special(rng) -> list[Sample]`` at zeros, kinks, ties, domain
               boundaries, exact-zero probabilities, equal inputs, ...; or a string saying why the op
               has none (e.g. it is linear). A meta-test fails when an entry states neither.
    covers:    the Function classes whose derivatives this entry proves
    torch_op:  a separate reference ``torch_op(torch, *tensors, **kwargs)``, or None to reuse ``op``
    parity:    False when PyTorch has no such op (e.g. nnmath.info)
    gradgrad:  False for ops whose second derivative is not defined or not claimed
    torch_hvp: False where PyTorch has no second derivative to compare with (gradgradcheck still
               proves nnmath's)
    gradcheck_kwargs: eps/atol/rtol for gradcheck and gradgradcheck where the op computes in float32
               (each with its justification at the entry)
    rtol/atol: for PyTorch parity in float32 (float64 uses 1e-10 / 1e-12 unless overridden)
    """
    name: str
    op: Callable
    samples: Callable[[np.random.Generator], list]
    covers: tuple = ()
    special: Callable[[np.random.Generator], list] | str = ""
    torch_op: Callable | None = None
    parity: bool = True
    gradcheck: bool = True
    gradgrad: bool = True
    torch_hvp: bool = True
    gradcheck_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    rtol: float = 1e-5
    atol: float = 1e-6
    rtol64: float = 1e-10
    atol64: float = 1e-12
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def all_samples(self, rng: np.random.Generator) -> list:
        """The random samples followed by the special points."""
        return self.samples(rng) + (self.special(rng) if callable(self.special) else [])


def point(*args, smooth=True, differs="", grad_differs="", **kwargs) -> Sample:
    """A Sample at chosen values (special points are chosen, not drawn): lists become float64 arrays,
    anything else (arrays, numbers, dims) passes unchanged."""
    def arg(a):
        return np.array(a, dtype=float) if isinstance(a, list) else a
    return Sample(tuple(arg(a) for a in args), kwargs, smooth=smooth, differs=differs, grad_differs=grad_differs)


def points(*samples) -> Callable:
    """An ``OpInfo.special`` sampler returning ``samples``."""
    return lambda rng: list(samples)


def set_special_points(table, special):
    """Give each entry of ``table`` its special points from the dict ``special`` (entry name -> sampler or
    reason); an entry missing from the dict fails the meta-test ``test_every_entry_states_its_special_points``."""
    for info in table:
        if info.name in special:
            info.special = special[info.name]
    unknown = set(special) - {info.name for info in table}
    if unknown:
        raise KeyError(f"special points given for entries that do not exist: {sorted(unknown)}")


def to_nnmath(sample: Sample, dtype, requires_grad=True, noncontiguous=False):
    import nnmath
    out = []
    for a in sample.args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            arr = a.astype(dtype)
            if noncontiguous and arr.ndim >= 2:
                arr = np.asfortranarray(arr)
            t = nnmath.from_numpy(arr.copy(order="K"))
            out.append(t.requires_grad_(requires_grad))
        elif isinstance(a, np.ndarray):
            out.append(nnmath.from_numpy(a.copy()))
        else:
            out.append(a)
    return out


def to_torch(sample: Sample, dtype):
    import torch
    tdt = {np.float32: torch.float32, np.float64: torch.float64}[np.dtype(dtype).type]
    out = []
    for a in sample.args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            out.append(torch.tensor(a.astype(dtype), dtype=tdt, requires_grad=True))
        elif isinstance(a, np.ndarray):
            out.append(torch.from_numpy(a.copy()))
        else:
            out.append(a)
    return out


def first_tensor_outputs(result):
    """The floating outputs of a call, as a list (ops may return tuples / namedtuples)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [r for r in items if hasattr(r, "shape") and hasattr(r, "dtype") and
            str(r.dtype).split(".")[-1].startswith(("float", "complex"))]


def uniform(rng, *shapes, low=-1.0, high=1.0):
    """Float64 arrays uniform on [low, high) (away from kinks when the range is chosen so)."""
    return tuple(rng.uniform(low, high, s) for s in shapes)


def positive(rng, *shapes, low=0.5, high=2.0):
    return uniform(rng, *shapes, low=low, high=high)


#: Shapes every elementwise op is sampled on: scalar, vector, matrix, and a broadcasting row.
UNARY_SHAPES = [(), (3,), (3, 2), (1, 2)]
#: Pairs of shapes that broadcast against each other.
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((3, 2), (3, 2)), ((3, 2), (2,)), ((3, 1), (1, 4)), ((2, 3, 2), ()),
                 ((), (2, 3))]


#: The nnmath subpackages whose Functions the tables must cover (imported before the registry is read).
SUBPACKAGES = ["nn", "nn.functional", "optim", "linalg", "distributions", "info", "prob", "vision"]


def load_tables() -> list:
    """Every ``OP_DB`` of the ``op_db.py`` files under ``tests/``, in path order."""
    entries = []
    for path in sorted(pathlib.Path(__file__).parent.rglob("op_db.py")):
        spec = importlib.util.spec_from_file_location(f"op_db_{path.parent.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        entries.extend(module.OP_DB)
    return entries


def hessian_vector_product(lib, op, sample, args):
    """∂/∂x ⟨∂⟨v, f(x)⟩/∂x, u⟩ for fixed random cotangents v and directions u (seeded), one per
    differentiable input: a second-order derivative in one VJP over a VJP. Zeros where unused."""
    inputs = [a for a in args if getattr(a, "requires_grad", False)]
    outs = first_tensor_outputs(op(lib, *args, **sample.kwargs))
    draw = np.random.default_rng(7)
    cotangents = [draw.standard_normal(tuple(o.shape)) for o in outs]
    terms = [(o * lib.tensor(c, dtype=o.dtype)).sum() for o, c in zip(outs, cotangents) if o.requires_grad]
    if not terms:
        return [np.zeros(tuple(x.shape)) for x in inputs]
    grads = lib.autograd.grad(sum(terms[1:], terms[0]), inputs, create_graph=True, allow_unused=True)
    rng = np.random.default_rng(11)
    inner = None
    for g, x in zip(grads, inputs):
        u = rng.standard_normal(tuple(x.shape))
        if g is not None and g.requires_grad:
            term = (g * lib.tensor(u, dtype=g.dtype)).sum()
            inner = term if inner is None else inner + term
    if inner is None:
        return [np.zeros(tuple(x.shape)) for x in inputs]
    hvp = lib.autograd.grad(inner, inputs, allow_unused=True)
    return [np.zeros(tuple(x.shape)) if h is None or _is_zero_tensor(h) else h.detach().numpy()
            for h, x in zip(hvp, inputs)]


def _is_zero_tensor(t):
    """PyTorch returns symbolic zero tensors (which refuse .numpy()) for some structural zeros."""
    return getattr(t, "_is_zerotensor", lambda: False)()


