"""How each traced nnmath op becomes ONNX nodes.

``MAPPINGS`` maps a Function class name to ``emitter(g, args, results)``: ``args`` are the op's
arguments as it was applied (tensors and plain values, in its ``forward``'s order), ``results`` its
output tensors; the emitter adds nodes to the :class:`~nnmath.onnx.exporter.GraphBuilder` ``g`` and
returns the ONNX value names of the results. Shapes that contain the batch dimension are written so
that the graph stays valid for another batch size (``dynamic_axes``).
"""
from __future__ import annotations

import numpy as np


class UnsupportedOperatorError(RuntimeError):
    """The model applies an op that has no ONNX mapping (yet)."""



def emit(g, cls, args, results) -> None:
    emitter = MAPPINGS.get(cls.__name__) if cls.__module__.startswith("nnmath.") else None
    if emitter is None:
        raise UnsupportedOperatorError(f"onnx.export: no ONNX mapping for {cls.__name__}Backward "
                                       f"({cls.__module__}.{cls.__qualname__})")
    names = emitter(g, args, results)
    names = [names] if isinstance(names, str) else names
    for result, name in zip(results, names):
        g.bind(result, name)


def _dtype(value) -> np.dtype:
    return getattr(value, "_data", value).dtype  # a Tensor, or an array an op was given directly


def _as(g, value, dtype) -> str:
    """``value``'s name, cast to ``dtype`` when it has another (ONNX ops need matching input types)."""
    if not g.is_live(value):
        return g.name(getattr(value, "_data", value), dtype)
    name = g.name(value)
    if _dtype(value) != dtype:
        name = g.node1("Cast", [name], to=g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))
    return name


# --- elementwise --------------------------------------------------------------------------------------
def _unary(op_type):
    return lambda g, args, results: g.node1(op_type, [g.name(args[0])])


def _binary(op_type):
    def emitter(g, args, results):
        dtype = _dtype(results[0])
        return g.node1(op_type, [_as(g, args[0], dtype), _as(g, args[1], dtype)])
    return emitter


def _rsqrt(g, args, results):
    return g.node1("Reciprocal", [g.node1("Sqrt", [g.name(args[0])])])


def _log1p(g, args, results):
    x = args[0]
    return g.node1("Log", [g.node1("Add", [g.name(x), g.constant(1, _dtype(x))])])


def _expm1(g, args, results):
    x = args[0]
    return g.node1("Sub", [g.node1("Exp", [g.name(x)]), g.constant(1, _dtype(x))])


def _pow_scalar(g, args, results):
    x, exponent = args
    return g.node1("Pow", [g.name(x), g.constant(exponent, _dtype(x))])


def _clamp(g, args, results):
    x, low, high = args
    dtype = _dtype(results[0])
    bound = (lambda value: "" if value is None else _as(g, value, dtype))
    return g.node1("Clip", [_as(g, x, dtype), bound(low), bound(high)])


def _where(g, args, results):
    condition, a, b = args[:3]  # (the fourth says whether b is the number +0: the forward's fast path)
    if not g.is_live(condition):
        # Comparisons (x > 0) are not Functions, so a mask computed from the input is not traced:
        # exporting it as a constant would bake in the example input's mask.
        raise UnsupportedOperatorError("onnx.export: no ONNX mapping for WhereBackward with a condition "
                                       "computed inside forward (comparisons are not traced)")
    dtype = _dtype(results[0])
    return g.node1("Where", [_as(g, condition, np.bool_), _as(g, a, dtype), _as(g, b, dtype)])


def _cast(g, args, results):
    x, np_dtype = args
    return g.node1("Cast", [g.name(x)], to=g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(np_dtype)))


def _softmax(op_type):
    return lambda g, args, results: g.node1(op_type, [g.name(args[0])], axis=args[1])


def _gelu_tanh(g, args, results):
    """x/2 · (1 + tanh(√(2/π)(x + 0.044715 x³)))."""
    x = args[0]
    dtype, name = _dtype(x), g.name(args[0])
    cube = g.node1("Mul", [g.node1("Mul", [name, name]), name])
    inner = g.node1("Add", [name, g.node1("Mul", [cube, g.constant(0.044715, dtype)])])
    tanh = g.node1("Tanh", [g.node1("Mul", [inner, g.constant(np.sqrt(2.0 / np.pi), dtype)])])
    return g.node1("Mul", [g.node1("Mul", [name, g.constant(0.5, dtype)]), g.node1("Add", [tanh, g.constant(1, dtype)])])


def _gelu(g, args, results):
    """x/2 · (1 + erf(x/√2)): Mul, Erf, Add, Mul (ONNX's own Gelu needs opset 20)."""
    x = args[0]
    dtype, name = _dtype(x), g.name(args[0])
    erf = g.node1("Erf", [g.node1("Mul", [name, g.constant(np.sqrt(0.5), dtype)])])
    return g.node1("Mul", [g.node1("Mul", [name, g.constant(0.5, dtype)]), g.node1("Add", [g.constant(1, dtype), erf])])


def _layer_norm(g, args, results):
    """LayerNormalization (opset ≥ 17), or its composite (ReduceMean, Sub, Mul, Sqrt, Reciprocal) before."""
    x, weight, bias, dims, eps = args
    dtype, name = _dtype(x), g.name(x)
    shape = x._data.shape[dims[0]:]
    scale = g.name(weight) if weight is not None else g.constant(np.ones(shape, dtype=dtype))
    shift = g.name(bias) if bias is not None else g.constant(np.zeros(shape, dtype=dtype))
    if g.opset >= 17:
        return g.node1("LayerNormalization", [name, scale, shift], axis=int(dims[0]), epsilon=float(eps))
    centred = g.node1("Sub", [name, g.node1("ReduceMean", [name], axes=list(dims))])
    variance = g.node1("ReduceMean", [g.node1("Mul", [centred, centred])], axes=list(dims))
    rstd = g.node1("Reciprocal", [g.node1("Sqrt", [g.node1("Add", [variance, g.constant(eps, dtype)])])])
    return g.node1("Add", [g.node1("Mul", [g.node1("Mul", [centred, rstd]), scale]), shift])


# --- linear algebra -------------------------------------------------------------------------------------
def _linear(g, args, results):
    x, weight, bias = args
    if x._data.ndim == 2:
        inputs = [g.name(x), g.name(weight)] + ([] if bias is None else [g.name(bias)])
        return g.node1("Gemm", inputs, transB=1)
    y = g.node1("MatMul", [g.name(x), g.node1("Transpose", [g.name(weight)], perm=[1, 0])])
    return y if bias is None else g.node1("Add", [y, g.name(bias)])


def _attention(g, args, results):
    """O = softmax(s·Q Kᵀ + M) V (ScaledDotProductAttention): Mul, Transpose, MatMul, Add, Softmax, MatMul.
    ONNX's Softmax gives NaN on a row whose keys are all masked, where nnmath gives 0."""
    q, k, v, mask, scale, causal, dropout_p, _ = args
    if dropout_p > 0:
        raise UnsupportedOperatorError("onnx.export: no ONNX mapping for ScaledDotProductAttentionBackward with "
                                       "dropout_p > 0 (export in eval mode, with dropout_p=0)")
    dtype = _dtype(q)
    perm = list(range(k._data.ndim))
    perm[-2:] = perm[-1], perm[-2]
    keys_t = g.node1("Transpose", [g.name(k)], perm=perm)
    scores = g.node1("MatMul", [g.node1("Mul", [g.name(q), g.constant(scale, dtype)]), keys_t])
    if mask is not None:
        scores = g.node1("Add", [scores, _as(g, mask, dtype)])
    if causal:
        scores = g.node1("Add", [scores, _causal_mask(g, scores, q._data.shape[-2], k._data.shape[-2], dtype)])
    return [g.node1("MatMul", [g.node1("Softmax", [scores], axis=-1), g.name(v)])]


def _causal_mask(g, scores: str, L: int, S: int, dtype) -> str:
    """−∞ above the diagonal of the last two axes of ``scores``, 0 elsewhere: sized from the scores at run
    time (Shape, ConstantOfShape, Trilu; opset ≥ 15), or a constant of the traced L × S before that."""
    if g.opset < 15:
        return g.constant(np.triu(np.full((L, S), -np.inf, dtype=dtype), 1))
    size = g.node1("Shape", [scores], start=-2)
    minus_inf = g.onnx.numpy_helper.from_array(np.array([-np.inf], dtype=dtype))
    return g.node1("Trilu", [g.node1("ConstantOfShape", [size], value=minus_inf), g.int64s(1)], upper=1)


# --- shapes ---------------------------------------------------------------------------------------------
def _reshape(g, args, results):
    x = args[0]
    in_shape, target = x._data.shape, list(results[0]._data.shape)
    if [d for d in in_shape if d != 1] == [d for d in target if d != 1]:
        # Only size-1 axes come and go (unsqueeze, squeeze): say so, and every other axis stays free.
        y = g.name(x)
        dropped = [axis for axis, size in enumerate(in_shape) if size == 1]
        added = [axis for axis, size in enumerate(target) if size == 1]
        if dropped:
            y = g.node1("Squeeze", [y, g.int64s(dropped)])
        if added:
            y = g.node1("Unsqueeze", [y, g.int64s(added)])
        return y if dropped or added else g.node1("Identity", [y])
    requested = [int(size) for size in args[1]]
    if -1 in requested and 0 not in requested:
        target = requested  # the −1 is inferred at run time, as it was here: that axis stays free
    if in_shape and target and in_shape[0] == target[0] != 1:
        target[0] = 0  # "copy the input's first dimension": the batch size stays free
    return g.node1("Reshape", [g.name(x), g.int64s(target)])


def _permute(g, args, results):
    return g.node1("Transpose", [g.name(args[0])], perm=[int(d) for d in args[1]])


def _broadcast_to(g, args, results):
    x = args[0]
    shape = results[0]._data.shape
    in_shape = (1,) * (len(shape) - x._data.ndim) + x._data.shape
    # Where the input already has the size, 1 ("keep") leaves that dimension free to vary.
    target = [1 if have == want else want for have, want in zip(in_shape, shape)]
    return g.node1("Expand", [g.name(x), g.int64s(target)])


def _cat(g, args, results):
    dim, *tensors = args
    dtype = _dtype(results[0])
    return g.node1("Concat", [_as(g, t, dtype) for t in tensors], axis=int(dim))


def _split(g, args, results):
    x, sizes, dim = args
    return g.node("Split", [g.name(x), g.int64s(sizes)], len(results), axis=int(dim))


def _clone(g, args, results):
    return g.node1("Identity", [g.name(args[0])])


def _getitem(g, args, results):
    """Basic indexing: integers and slices (with positive steps) along leading dimensions."""
    x, key = args
    key = key if isinstance(key, tuple) else (key,)
    if not all(isinstance(k, (int, np.integer, slice)) for k in key) or \
            any(isinstance(k, slice) and (k.step or 1) < 0 for k in key):
        raise UnsupportedOperatorError(f"onnx.export: no ONNX mapping for GetItemBackward with index {key!r} "
                                       "(only integers and slices with positive steps are exported)")
    starts, ends, axes, steps, squeeze = [], [], [], [], []
    for axis, k in enumerate(key):
        if isinstance(k, slice):
            if k == slice(None):
                continue
            start, stop, step = k.start or 0, k.stop, k.step or 1
            stop = np.iinfo(np.int64).max if stop is None else stop
        else:
            start, stop, step = int(k), (int(k) + 1) or np.iinfo(np.int64).max, 1
            squeeze.append(axis)
        starts.append(start)
        ends.append(stop)
        axes.append(axis)
        steps.append(step)
    y = g.name(x)
    if axes:
        y = g.node1("Slice", [y, g.int64s(starts), g.int64s(ends), g.int64s(axes), g.int64s(steps)])
    return g.node1("Squeeze", [y, g.int64s(squeeze)]) if squeeze else g.node1("Identity", [y])


def _gather(g, args, results):
    x, dim, index = args
    return g.node1("GatherElements", [g.name(x), _as(g, index, np.int64)], axis=int(dim))


def _embedding(g, args, results):
    weight, ids, _ = args
    return g.node1("Gather", [g.name(weight), _as(g, ids, np.int64)], axis=0)


# --- reductions -----------------------------------------------------------------------------------------
def _axes(x, dims) -> list[int]:
    return list(range(x._data.ndim)) if dims is None else [int(d) for d in np.atleast_1d(dims)]


def _sum(g, args, results):
    x, dims, keepdim, np_dtype = args
    source = g.name(x) if np_dtype is None else _as(g, x, np.dtype(np_dtype))
    return g.node1("ReduceSum", [source, g.int64s(_axes(x, dims))], keepdims=int(keepdim))


def _amax(g, args, results):
    x, dims, keepdim, is_min = args
    op_type = "ReduceMin" if is_min else "ReduceMax"
    if g.opset >= 18:  # axes moved from an attribute to an input
        return g.node1(op_type, [g.name(x), g.int64s(_axes(x, dims))], keepdims=int(keepdim))
    return g.node1(op_type, [g.name(x)], axes=_axes(x, dims), keepdims=int(keepdim))


# --- convolution and pooling ------------------------------------------------------------------------------
def _pads(geom) -> list[int]:
    top, bottom, left, right = geom.padding
    return [top, left, bottom, right]


def _conv2d(g, args, results):
    x, weight, bias, geom = args
    inputs = [g.name(x), g.name(weight)] + ([] if bias is None else [g.name(bias)])
    return g.node1("Conv", inputs, kernel_shape=list(geom.kernel), strides=list(geom.stride), pads=_pads(geom),
                   dilations=list(geom.dilation), group=int(geom.groups))


def _max_pool2d(g, args, results):
    x, geom, _, return_indices = args
    if return_indices:
        raise UnsupportedOperatorError("onnx.export: no ONNX mapping for MaxPool2dBackward with "
                                       "return_indices=True")
    return g.node1("MaxPool", [g.name(x)], kernel_shape=list(geom.kernel), strides=list(geom.stride),
                   pads=_pads(geom), dilations=list(geom.dilation))


# --- recurrent layers ------------------------------------------------------------------------------------
#: ONNX's gate order, as positions in PyTorch's: LSTM (i, f, g, o) -> (i, o, f, c); GRU (r, z, n) -> (z, r, h).
_GATES = {"LSTM": ("LSTM", [0, 3, 1, 2]), "GRU": ("GRU", [1, 0, 2]),
          "RNN_TANH": ("RNN", [0]), "RNN_RELU": ("RNN", [0])}


def _gates_reordered(g, weight, order: list[int]) -> str:
    """``weight`` (gates stacked on axis 0, PyTorch's order) in ONNX's order, with a leading direction axis."""
    name = g.name(weight)
    if order != sorted(order):
        parts = g.node("Split", [name, g.int64s([weight._data.shape[0] // len(order)] * len(order))], len(order),
                       axis=0)
        name = g.node1("Concat", [parts[i] for i in order], axis=0)
    return g.node1("Unsqueeze", [name, g.int64s([0])])


def _initial_state(g, state) -> str:
    """An initial state of zeros is ONNX's default: leaving it out keeps the batch size free."""
    if state is None or not g.is_live(state) and not np.any(state._data):
        return ""
    return g.node1("Unsqueeze", [g.name(state), g.int64s([0])])


def _recurrent_layer(g, args, results):
    mode, reverse, batch_sizes, x, h0, c0, W_ih, W_hh, b_ih, b_hh, W_hr = args
    if batch_sizes is not None or W_hr is not None:
        what = "packed sequences" if batch_sizes is not None else "proj_size"
        raise UnsupportedOperatorError(f"onnx.export: no ONNX mapping for RecurrentLayerBackward with {what}")
    op_type, order = _GATES[mode]
    hidden = h0._data.shape[-1]
    if b_ih is None:
        bias = ""
    else:
        bias = g.node1("Concat", [_gates_reordered(g, b_ih, order), _gates_reordered(g, b_hh, order)], axis=1)
    inputs = [g.name(x), _gates_reordered(g, W_ih, order), _gates_reordered(g, W_hh, order), bias, "",
              _initial_state(g, h0)]
    attributes = {"hidden_size": hidden, "direction": "reverse" if reverse else "forward"}
    if op_type == "LSTM":
        inputs.append(_initial_state(g, c0))
    elif op_type == "GRU":
        attributes["linear_before_reset"] = 1  # PyTorch applies the reset gate after W_hn h + b_hn
    else:
        attributes["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"]
    while inputs[-1] == "":
        inputs.pop()
    outputs = g.node(op_type, inputs, len(results), **attributes)
    y = g.node1("Squeeze", [outputs[0], g.int64s([1])])  # (T, directions=1, B, H) -> (T, B, H)
    return [y] + [g.node1("Squeeze", [state, g.int64s([0])]) for state in outputs[1:]]


MAPPINGS = {
    # elementwise
    "Add": _binary("Add"), "Sub": _binary("Sub"), "Mul": _binary("Mul"), "Div": _binary("Div"),
    "Pow": _binary("Pow"), "Maximum": _binary("Max"), "Minimum": _binary("Min"),
    "Neg": _unary("Neg"), "Exp": _unary("Exp"), "Log": _unary("Log"), "Sqrt": _unary("Sqrt"),
    "Sin": _unary("Sin"), "Cos": _unary("Cos"), "Tan": _unary("Tan"), "Atan": _unary("Atan"),
    "Erf": _unary("Erf"), "Abs": _unary("Abs"), "Relu": _unary("Relu"), "Sigmoid": _unary("Sigmoid"),
    "Tanh": _unary("Tanh"), "GeluTanh": _gelu_tanh, "Gelu": _gelu, "Rsqrt": _rsqrt, "Log1p": _log1p, "Expm1": _expm1, "PowScalar": _pow_scalar,
    "Clamp": _clamp, "Where": _where, "Cast": _cast, "Clone": _clone,
    "Softmax": _softmax("Softmax"), "LogSoftmax": _softmax("LogSoftmax"),
    # linear algebra
    "Linear": _linear, "Matmul": _binary("MatMul"), "ScaledDotProductAttention": _attention,
    "LayerNorm": _layer_norm,
    # shapes and indexing
    "Reshape": _reshape, "Permute": _permute, "BroadcastTo": _broadcast_to, "Cat": _cat, "Split": _split,
    "GetItem": _getitem, "Gather": _gather, "EmbeddingLookup": _embedding,
    # reductions
    "Sum": _sum, "Amax": _amax,
    # convolution, pooling, recurrence
    "Conv2d": _conv2d, "MaxPool2d": _max_pool2d, "RecurrentLayer": _recurrent_layer,
}
