"""The op table of ``nnmath.special``: each primitive against ``torch.special``."""
from __future__ import annotations

import numpy as np

from nnmath import special
from opinfo import UNARY_SHAPES, OpInfo, Sample, point, points, positive, set_special_points, uniform


def kink(*args, **kwargs):
    return point(*args, smooth=False, **kwargs)


def positive_unary(rng, low=0.5, high=4.0):
    return [Sample(positive(rng, s, low=low, high=high)) for s in UNARY_SHAPES]


def negative_unary(rng):
    # away from the poles at the non-positive integers
    return [Sample((np.floor(uniform(rng, s, low=-4, high=0)[0]) + positive(rng, s, low=0.2, high=0.8)[0],))
            for s in [(3,), (2, 2)]]


def incomplete_gamma(rng):
    return [Sample(positive(rng, s, low=0.3, high=6.0), {"a": a}) for s, a in
            [((), 2.5), ((3,), 0.7), ((3, 2), 4.0), ((1, 2), 10.0)]]


def ndtr_args(rng):
    return [Sample(uniform(rng, s, low=-6, high=4)) for s in UNARY_SHAPES] + [Sample((np.array([-30.0, -12.0, 9.0]),))]


def probabilities(rng):
    return [Sample(uniform(rng, s, low=0.02, high=0.98)) for s in UNARY_SHAPES]


OP_DB = [
    OpInfo("special.gammaln", lambda m, x: m.special.gammaln(x), positive_unary, covers=(special.Lgamma,),
           torch_op=lambda torch, x: torch.special.gammaln(x)),
    OpInfo("special.gammaln_negative", lambda m, x: m.special.gammaln(x), negative_unary,
           torch_op=lambda torch, x: torch.lgamma(x)),
    OpInfo("special.digamma", lambda m, x: m.special.digamma(x), positive_unary, covers=(special.Digamma,),
           rtol64=1e-9),
    OpInfo("special.digamma_negative", lambda m, x: m.special.digamma(x), negative_unary, rtol64=1e-9),
    OpInfo("special.polygamma1", lambda m, x: m.special.polygamma(1, x), positive_unary,
           covers=(special.Polygamma,), rtol64=1e-8),
    OpInfo("special.polygamma2", lambda m, x: m.special.polygamma(2, x), positive_unary, rtol64=1e-8),
    OpInfo("special.gammaincc", lambda m, x, a: m.special.gammaincc(m.tensor(a, dtype=x.dtype), x),
           incomplete_gamma, covers=(special.RegularizedGamma,), rtol64=1e-8, atol64=1e-10),
    OpInfo("special.gammainc", lambda m, x, a: m.special.gammainc(m.tensor(a, dtype=x.dtype), x),
           incomplete_gamma, covers=(special.RegularizedGamma,), rtol64=1e-8, atol64=1e-10),
    OpInfo("special.log_ndtr", lambda m, x: m.special.log_ndtr(x), ndtr_args, covers=(special.LogNdtr,),
           rtol64=1e-9),
    OpInfo("special.ndtr", lambda m, x: m.special.ndtr(x), ndtr_args, rtol64=1e-9),
    OpInfo("special.ndtri", lambda m, x: m.special.ndtri(x), probabilities, covers=(special.Ndtri,),
           rtol64=1e-9),
    OpInfo("special.xlogy", lambda m, x, y: m.special.xlogy(x, y),
           lambda rng: [Sample((uniform(rng, s)[0], positive(rng, s)[0])) for s in UNARY_SHAPES],
           covers=(special.Xlogy,)),
    OpInfo("special.xlog1py", lambda m, x, y: m.special.xlog1py(x, y),
           lambda rng: [Sample((uniform(rng, s)[0], positive(rng, s, low=-0.5, high=1.0)[0])) for s in UNARY_SHAPES],
           covers=(special.Xlogy,)),
    OpInfo("special.entr", lambda m, x: m.special.entr(x), positive_unary, covers=(special.Entr,)),
    OpInfo("special.logit", lambda m, x: m.special.logit(x), probabilities),
    OpInfo("special.expit", lambda m, x: m.special.expit(x), lambda rng: [Sample(uniform(rng, s)) for s in UNARY_SHAPES]),
]


SPECIAL = {
    "special.gammaln": points(point([1.0, 2.0, 10.0])),          # the zeros of ln Γ; the end of the recurrence
    "special.gammaln_negative": points(point([-0.5, -1.5, -2.5])),
    "special.digamma": points(point([1.0, 0.5, 10.0])),
    "special.digamma_negative": points(point([-0.5, -1.5])),
    "special.polygamma1": points(point([1.0, 22.0])),             # 22 = 20 + 2n: where the recurrence stops
    "special.polygamma2": points(point([1.0, 24.0])),
    # x = a + 1 switches from the series to the continued fraction; x = 0 is the edge of the domain
    "special.gammaincc": points(point([3.5, 1.7], a=2.5), kink([0.0, 1.0], a=2.5)),
    "special.gammainc": points(point([3.5, 1.7], a=2.5), kink([0.0, 1.0], a=2.5)),
    "special.log_ndtr": points(point([0.0, -2.0 * 2 ** 0.5, 2.0 * 2 ** 0.5])),   # erfc's switch at |x|/√2 = 2
    "special.ndtr": points(point([0.0])),
    "special.ndtri": points(point([0.5, 0.02425, 1 - 0.02425]), kink([0.0, 1.0])),   # Acklam's regions; ±∞
    # x = 0: ∂/∂x = ln y (smooth); x = y = 0: not differentiable (∂/∂x = 0, ∂/∂y = NaN, as PyTorch)
    "special.xlogy": points(point([0.0, 0.0, 1.0], [2.0, 0.5, 1.0]), kink([0.0, 1.0], [0.0, 0.0])),
    "special.xlog1py": points(point([0.0, 0.0, 1.0], [1.0, -0.5, 0.0]), kink([0.0, 1.0], [-1.0, -1.0])),
    "special.entr": points(point([1.0, np.exp(-1.0)]), kink([0.0, 1.0])),   # entr′(0) = +∞ (PyTorch)
    "special.logit": points(point([0.5]), kink([0.0, 1.0])),
    "special.expit": points(point([0.0, 40.0, -40.0])),
}

set_special_points(OP_DB, SPECIAL)
