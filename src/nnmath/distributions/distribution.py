"""The base class every distribution derives from (``torch.distributions.Distribution``)."""
from __future__ import annotations

import numpy as np

from nnmath import creation, dtypes, ops
from nnmath.autograd.grad_mode import no_grad
from nnmath.distributions import constraints
from nnmath import random
from nnmath.tensor import Size, Tensor


def as_param(value, like=None) -> Tensor:
    """A parameter as a floating Tensor (numbers take ``like``'s dtype, else the default dtype)."""
    if isinstance(value, Tensor):
        return value if value.is_floating_point() else value.to(dtypes.get_default_dtype())
    dtype = like.dtype if like is not None else dtypes.get_default_dtype()
    return creation.tensor(value, dtype=dtype)


def broadcast_all(*values):
    """Parameters as Tensors of one broadcast shape (numbers follow the first Tensor's dtype)."""
    like = next((v for v in values if isinstance(v, Tensor) and v.is_floating_point()), None)
    tensors = [as_param(v, like) for v in values]
    return ops.broadcast_tensors(*tensors)


def _bad_values(array, ok):
    bad = np.asarray(array)[~np.broadcast_to(ok, np.shape(array))] if np.ndim(array) else np.asarray(array)
    text = np.array2string(np.asarray(bad).ravel()[:6], precision=6, separator=", ")
    return text


class Distribution:
    """A family of probability distributions, batched.

    ``batch_shape`` indexes independent (not identically parameterised) distributions, ``event_shape``
    is the shape of one draw; ``sample(sample_shape)`` has shape ``sample_shape + batch_shape +
    event_shape``. With ``validate_args`` (on by default, as in PyTorch) parameters outside
    ``arg_constraints`` and values outside ``support`` raise ``ValueError``.
    """

    arg_constraints: dict = {}
    support = None
    has_rsample = False
    has_enumerate_support = False
    _validate_default = True

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        Distribution._validate_default = bool(value)

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(tuple(batch_shape))
        self._event_shape = Size(tuple(event_shape))
        self._validate_args = Distribution._validate_default if validate_args is None else validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if constraints.dependent is constraint or param not in self.__dict__:
                    continue  # lazily computed from the other parameterisation
                value = self.__dict__[param]
                ok = constraint.check(value)
                if not np.all(ok):
                    data = value._data if isinstance(value, Tensor) else value
                    raise ValueError(
                        f"{type(self).__name__}: parameter {param} of shape {tuple(np.shape(data))} must "
                        f"satisfy {constraint}, but found invalid values {_bad_values(self._reduce_data(data, constraint), ok)}"
                        + (f" (sums {np.array2string(np.asarray(data).sum(-1).ravel()[:6], precision=8)}; "
                           f"tolerance |Σ − 1| ≤ {constraints.SIMPLEX_ATOL})"
                           if constraint is constraints.simplex else ""))

    @staticmethod
    def _reduce_data(data, constraint):
        if constraint.event_dim == 1:
            return np.asarray(data).sum(-1)
        if constraint.event_dim == 2:
            return np.asarray(data).reshape(np.shape(data)[:-2] + (-1,))[..., 0]
        return data

    # --- shapes ------------------------------------------------------------------------------------
    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        return tuple(Size(sample_shape)) + tuple(self._batch_shape) + tuple(self._event_shape)

    def expand(self, batch_shape, _instance=None):
        """The same distribution broadcast to ``batch_shape`` (parameters expanded, not copied)."""
        batch_shape = tuple(batch_shape)
        new = type(self).__new__(type(self))
        for name in self._param_names():
            value = self.__dict__.get(name)
            if value is not None:
                event = tuple(value.shape)[len(value.shape) - self._param_event_ndim(name):]
                new.__dict__[name] = value.expand(*(batch_shape + event))
        for key, value in self.__dict__.items():
            if key not in new.__dict__ and not isinstance(value, Tensor):
                new.__dict__[key] = value
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _param_names(self):
        return [k for k, v in self.__dict__.items() if isinstance(v, Tensor)]

    def _param_event_ndim(self, name) -> int:
        return len(self._event_shape)

    # --- the interface -------------------------------------------------------------------------------
    def sample(self, sample_shape=()) -> Tensor:
        """A draw of shape ``sample_shape + batch_shape + event_shape``, outside the autograd graph."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()) -> Tensor:
        """A reparameterised draw: differentiable with respect to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler (rsample)")

    def sample_n(self, n):
        return self.sample((n,))

    def log_prob(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def cdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.cdf is not implemented")

    def icdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.icdf is not implemented")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented")

    def perplexity(self) -> Tensor:
        return ops.exp(self.entropy())

    def enumerate_support(self, expand=True):
        raise NotImplementedError(f"{type(self).__name__}.enumerate_support is not implemented")

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mean is not implemented")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mode is not implemented")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.variance is not implemented")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    # --- helpers for subclasses --------------------------------------------------------------------
    def _value(self, value) -> Tensor:
        like = next((v for v in self.__dict__.values() if isinstance(v, Tensor)), None)
        return value if isinstance(value, Tensor) else as_param(value, like)

    def _validate_sample(self, value, method="log_prob") -> None:
        """Raise if ``value`` lies outside the support (only with validate_args)."""
        if not self._validate_args:
            return
        support = self.support
        ok = support.check(value)
        if not np.all(ok):
            data = value._data if isinstance(value, Tensor) else np.asarray(value)
            raise ValueError(f"{type(self).__name__}.{method}: the value must lie in the support {support}, "
                             f"but found {_bad_values(self._reduce_data(data, support), ok)}")

    def _noise(self, sample_shape, fn):
        """Draws of the extended shape in the parameters' dtype: PyTorch's numbers, from the global
        generator (``fn(draws, shape)`` with NumPy's method names)."""
        shape = self._extended_shape(sample_shape)
        dtype = self._dtype()
        return Tensor._make(np.asarray(fn(random.Draws(dtype), shape), dtype=dtype))

    def _dtype(self):
        for v in self.__dict__.values():
            if isinstance(v, Tensor) and v.is_floating_point():
                return v._data.dtype
        return np.dtype(dtypes.get_default_dtype().np)

    def __repr__(self):
        params = ", ".join(f"{k}: {tuple(v.shape) if v.numel() > 1 else v.item()}"
                           for k, v in self.__dict__.items()
                           if k in self.arg_constraints and isinstance(v, Tensor))
        return f"{type(self).__name__}({params})"
