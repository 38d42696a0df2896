"""Between a model's parameters and one flat vector (for second-order methods, line searches, ...)."""
from __future__ import annotations

from nnmath import ops
from nnmath.tensor import Tensor


def parameters_to_vector(parameters) -> Tensor:
    """θ = concat(vec(p₁), …, vec(pₖ)): the parameters flattened into one vector (differentiable)."""
    return ops.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Point each parameter's data at its slice of ``vec`` (the inverse of :func:`parameters_to_vector`)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected nnmath.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    needed = sum(p.numel() for p in parameters)
    if vec.numel() != needed:
        raise RuntimeError(f"vector_to_parameters: vec has {vec.numel()} elements; the parameters need {needed}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec.detach()[pointer:pointer + n].view_as(param)
        pointer += n
