"""``nnmath.nn.utils``: gradient clipping and parameter/vector conversion."""
from nnmath.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from nnmath.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

clip_grad_norm = clip_grad_norm_

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]

from nnmath.nn.utils import rnn  # noqa: E402,F401
