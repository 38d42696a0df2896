"""``nnmath.onnx.export``: a model to an ONNX file, by tracing the ops one forward pass applies.

While the model runs once in eval mode, :mod:`nnmath.autograd.function` calls the exporter after every
op with the op's class, its arguments (tensors and the plain values: dims, shapes, modes) and its
results (:mod:`nnmath.onnx.ops` maps each op to ONNX nodes). Parameters and buffers become initializers
under their ``state_dict`` names; tensors made inside ``forward`` from no input become constants (with
``do_constant_folding``, ops on such constants are computed once at export). Needs
``pip install 'nnmath[export]'``.

Recurrent layers export as ONNX ``LSTM`` / ``GRU`` / ``RNN`` nodes (one per layer and direction), not
as unrolled loops, so the file works for any sequence length.
"""
from nnmath.onnx.exporter import export
from nnmath.onnx.ops import UnsupportedOperatorError

__all__ = ["export", "UnsupportedOperatorError"]
