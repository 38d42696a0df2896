"""Constraints: the sets a parameter or a value must lie in (``torch.distributions.constraints``).

A constraint's ``check(value)`` returns a NumPy boolean array, one entry per element (or per event for
event constraints such as ``simplex``); a distribution validates its parameters against
``arg_constraints`` and the values given to ``log_prob``/``cdf`` against ``support``.
"""
from __future__ import annotations

import numpy as np

#: |Σ p − 1| allowed for a probability vector (``simplex``), as in PyTorch.
SIMPLEX_ATOL = 1e-6


def _array(value):
    return value._data if hasattr(value, "_data") else np.asarray(value)


class Constraint:
    """A set of admissible values. ``event_dim`` is how many rightmost dimensions one check covers."""
    is_discrete = False
    event_dim = 0

    def check(self, value) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"


class _Real(Constraint):
    def check(self, value):
        x = _array(value)
        return x == x  # not NaN


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return _array(value) > _array(self.lower_bound)

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return _array(value) >= _array(self.lower_bound)

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _Interval(Constraint):
    """[lower_bound, upper_bound]; ``half_open`` makes it [lower, upper)."""

    def __init__(self, lower_bound, upper_bound, half_open=False):
        self.lower_bound, self.upper_bound, self.half_open = lower_bound, upper_bound, half_open

    def check(self, value):
        x = _array(value)
        upper = x < _array(self.upper_bound) if self.half_open else x <= _array(self.upper_bound)
        return (x >= _array(self.lower_bound)) & upper

    def __repr__(self):
        close = ")" if self.half_open else "]"
        return f"Interval[{self.lower_bound}, {self.upper_bound}{close}"


class _IntegerInterval(Constraint):
    """{lower_bound, lower_bound + 1, …, upper_bound}."""
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        x = _array(value)
        return (x % 1 == 0) & (x >= _array(self.lower_bound)) & (x <= _array(self.upper_bound))

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThanEq(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        x = _array(value)
        return (x % 1 == 0) & (x >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThanEq(lower_bound={self.lower_bound})"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        x = _array(value)
        return (x == 0) | (x == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        x = _array(value)
        return (((x == 0) | (x == 1)).all(-1)) & (x.sum(-1) == 1)


class _Simplex(Constraint):
    """Vectors (last dimension) with entries ≥ 0 summing to 1 within ``SIMPLEX_ATOL``."""
    event_dim = 1

    def check(self, value):
        x = _array(value)
        return (x >= 0).all(-1) & (np.abs(x.sum(-1) - 1) <= SIMPLEX_ATOL)


class _RealVector(Constraint):
    event_dim = 1

    def check(self, value):
        x = _array(value)
        return (x == x).all(-1)


class _PositiveDefinite(Constraint):
    """Symmetric matrices (last two dimensions) with a Cholesky factorisation."""
    event_dim = 2

    def check(self, value):
        x = np.asarray(_array(value), dtype=np.float64)
        out = np.empty(x.shape[:-2], dtype=bool)
        for idx in np.ndindex(*x.shape[:-2]):
            m = x[idx]
            ok = np.allclose(m, m.T, rtol=1e-6, atol=1e-8)
            if ok:
                try:
                    np.linalg.cholesky(m)
                except np.linalg.LinAlgError:
                    ok = False
            out[idx] = ok
        return out


class _LowerCholesky(Constraint):
    """Lower-triangular matrices with a positive diagonal."""
    event_dim = 2

    def check(self, value):
        x = _array(value)
        lower = (np.triu(x, 1) == 0).all((-2, -1))
        return lower & (np.diagonal(x, axis1=-2, axis2=-1) > 0).all(-1)


class _Dependent(Constraint):
    """The support depends on parameters (checked by the distribution itself)."""

    def check(self, value):
        raise ValueError("cannot check a dependent constraint")


class _Independent(Constraint):
    """``base`` over ``reinterpreted_batch_ndims`` more rightmost dimensions."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        ok = self.base_constraint.check(value)
        if self.reinterpreted_batch_ndims:
            ok = ok.reshape(ok.shape[:ok.ndim - self.reinterpreted_batch_ndims] + (-1,)).all(-1)
        return ok

    def __repr__(self):
        return f"Independent({self.base_constraint}, {self.reinterpreted_batch_ndims})"


real = _Real()
real_vector = _RealVector()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
one_hot = _OneHot()
simplex = _Simplex()
positive_definite = _PositiveDefinite()
lower_cholesky = _LowerCholesky()
nonnegative_integer = _IntegerGreaterThanEq(0)
dependent = _Dependent()
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
interval = _Interval
half_open_interval = lambda lower, upper: _Interval(lower, upper, half_open=True)  # noqa: E731
integer_interval = _IntegerInterval
independent = _Independent
