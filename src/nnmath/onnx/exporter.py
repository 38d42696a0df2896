"""Tracing a model and assembling the ONNX graph; the per-op mappings are in :mod:`nnmath.onnx.ops`."""
from __future__ import annotations

import contextlib
import itertools

import numpy as np

from nnmath._atomic import atomic_write_bytes
from nnmath._optional import require
from nnmath.autograd import function as _function
from nnmath.autograd.grad_mode import no_grad
from nnmath.onnx.ops import emit
from nnmath.tensor import Tensor


@contextlib.contextmanager
def _tracing(trace: list):
    if _function.tracer is not None:
        raise RuntimeError("onnx.export: already tracing (export called from inside a traced forward)")
    _function.tracer = lambda cls, args, results: trace.append((cls, args, results))
    try:
        yield
    finally:
        _function.tracer = None


@contextlib.contextmanager
def _eval_mode(model):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


class GraphBuilder:
    """The ONNX graph under construction: value names for traced tensors, nodes and initializers."""

    def __init__(self, onnx, opset: int, constant_folding: bool):
        self.onnx = onnx
        self.opset = opset
        self.constant_folding = constant_folding
        self.nodes = []
        self.initializers: dict[str, np.ndarray] = {}
        self._names: dict[int, str] = {}      # id of a Tensor or of its array -> value name
        self._named_arrays: dict[str, np.ndarray] = {}  # parameters/buffers, added when first used
        self._counter = itertools.count()

    # --- values ----------------------------------------------------------------------------------
    def bind(self, value, name: str) -> None:
        self._names[id(value)] = name
        if isinstance(value, Tensor):
            self._names[id(value._data)] = name

    def add_named_array(self, value: Tensor, name: str) -> None:
        self.bind(value, name)
        self._named_arrays[name] = value._data

    def is_live(self, value) -> bool:
        """Whether ``value`` comes from an input, a parameter or a traced op (not a plain constant)."""
        return isinstance(value, (Tensor, np.ndarray)) and id(value) in self._names \
            or isinstance(value, Tensor) and id(value._data) in self._names

    def name(self, value, dtype=None) -> str:
        """The value name of a traced tensor; anything else becomes a constant (of ``dtype`` if given)."""
        for key in (id(value), id(getattr(value, "_data", None))):
            if key in self._names:
                name = self._names[key]
                if name in self._named_arrays and name not in self.initializers:
                    self.initializers[name] = self._named_arrays[name]
                return name
        array = value._data if isinstance(value, Tensor) else np.asarray(value, dtype=dtype)
        return self.constant(array)

    def constant(self, array, dtype=None) -> str:
        name = f"const_{next(self._counter)}"
        self.initializers[name] = np.asarray(array, dtype=dtype)
        return name

    def fresh(self, hint: str) -> str:
        return f"{hint}_{next(self._counter)}"

    # --- nodes -----------------------------------------------------------------------------------
    def node(self, op_type: str, inputs: list, n_outputs: int = 1, **attributes) -> list[str]:
        """Append a node; ``inputs`` are value names ("" for an omitted optional input)."""
        outputs = [self.fresh(op_type) for _ in range(n_outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, outputs, **attributes))
        return outputs

    def node1(self, op_type: str, inputs: list, **attributes) -> str:
        return self.node(op_type, inputs, 1, **attributes)[0]

    def int64s(self, values) -> str:
        return self.constant(np.asarray(values, dtype=np.int64))


def _flatten(outputs) -> list:
    if isinstance(outputs, Tensor):
        return [outputs]
    if isinstance(outputs, (tuple, list)):
        return [leaf for item in outputs for leaf in _flatten(item)]
    raise TypeError(f"onnx.export: the model returned a {type(outputs).__name__}; expected Tensors "
                    "(or tuples/lists of them)")


def _axis_names(dynamic_axes, name: str, ndim: int) -> dict[int, str]:
    axes = (dynamic_axes or {}).get(name, {})
    if isinstance(axes, (list, tuple)):
        axes = {axis: f"{name}_dim{axis}" for axis in axes}
    return {axis % ndim: label for axis, label in axes.items()}


def _value_info(onnx, name: str, array: np.ndarray, dynamic_axes) -> object:
    dims = _axis_names(dynamic_axes, name, array.ndim)
    shape = [dims.get(axis, size) for axis, size in enumerate(array.shape)]
    element_type = onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
    return onnx.helper.make_tensor_value_info(name, element_type, shape)


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None, opset_version: int = 17,
           do_constant_folding: bool = True, export_params: bool = True, verbose: bool = False):
    """Export ``model`` (an ``nn.Module``) to the ONNX file ``f`` (a path, written atomically, or a binary
    file object), by running ``model(*args)`` once in eval mode and recording its ops.

    Args:
        args: the example input: a Tensor or a tuple of them (their shapes and dtypes fix the graph's
            inputs, except the axes named in ``dynamic_axes``).
        input_names, output_names: names of the graph's inputs and outputs (default input0, output0, ...).
        dynamic_axes: ``{name: {axis: label}}`` or ``{name: [axis, ...]}``, e.g.
            ``{"input": {0: "batch"}, "output": {0: "batch"}}`` for any batch size.
        opset_version: the ONNX opset (13 to 20).
        do_constant_folding: compute ops whose inputs are all constants at export time.
        export_params, verbose: accepted for PyTorch compatibility (parameters are always stored).

    Returns the ``onnx.ModelProto``. Raises :class:`UnsupportedOperatorError` naming the first op that
    has no ONNX mapping.
    """
    onnx = require("onnx", "export", "nnmath.onnx.export")

    if not 13 <= opset_version <= 20:
        raise ValueError(f"onnx.export: opset_version must be between 13 and 20, got {opset_version}")
    inputs = [args] if isinstance(args, Tensor) else list(args)
    for position, value in enumerate(inputs):
        if not isinstance(value, Tensor):
            raise TypeError(f"onnx.export: args must be Tensors; argument {position} is a {type(value).__name__}")
    input_names = list(input_names or [f"input{i}" for i in range(len(inputs))])
    if len(input_names) != len(inputs):
        raise ValueError(f"onnx.export: {len(input_names)} input_names for {len(inputs)} inputs")

    builder = GraphBuilder(onnx, opset_version, do_constant_folding)
    for name, tensor in itertools.chain(model.named_parameters(), model.named_buffers()):
        builder.add_named_array(tensor, name)
    for name, tensor in zip(input_names, inputs):
        builder.bind(tensor, name)

    trace: list = []
    with _eval_mode(model), no_grad(), _tracing(trace):
        outputs = _flatten(model(*inputs))
    for cls, op_args, results in trace:
        if builder.constant_folding and not any(builder.is_live(arg) for arg in op_args):
            continue  # its results are constants: they become initializers when used
        emit(builder, cls, op_args, results)

    output_names = list(output_names or [f"output{i}" for i in range(len(outputs))])
    if len(output_names) != len(outputs):
        raise ValueError(f"onnx.export: {len(output_names)} output_names for {len(outputs)} outputs")
    for name, tensor in zip(output_names, outputs):
        builder.nodes.append(onnx.helper.make_node("Identity", [builder.name(tensor)], [name]))
    graph_nodes, initializers = _reachable(builder, output_names)
    graph = onnx.helper.make_graph(
        graph_nodes, type(model).__name__,
        [_value_info(onnx, name, t._data, dynamic_axes) for name, t in zip(input_names, inputs)],
        [_value_info(onnx, name, t._data, dynamic_axes) for name, t in zip(output_names, outputs)],
        [onnx.numpy_helper.from_array(np.ascontiguousarray(array), name) for name, array in initializers.items()])
    onnx_model = onnx.helper.make_model(graph, producer_name="nnmath",
                                        opset_imports=[onnx.helper.make_opsetid("", opset_version)])
    # The oldest IR version that carries the opset, so that older runtimes read the file too.
    onnx_model.ir_version = 8 if opset_version <= 18 else 9
    onnx.checker.check_model(onnx_model)
    data = onnx_model.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
    else:
        atomic_write_bytes(f, data)
    return onnx_model


def _reachable(builder: GraphBuilder, output_names: list[str]):
    """The nodes and initializers the outputs depend on, in the order they were added."""
    needed = set(output_names)
    kept = []
    for node in reversed(builder.nodes):
        if any(name in needed for name in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    initializers = {name: array for name, array in builder.initializers.items() if name in needed}
    return kept[::-1], initializers
