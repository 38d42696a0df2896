"""The op table of ``nnmath.special``: each primitive against ``torch.special``."""
from __future__ import annotations

import numpy as np

from nnmath import special
from opinfo import UNARY_SHAPES, OpInfo, Sample, positive, uniform


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
           lambda rng: [Sample((uniform(rng, s)[0], positive(rng, s)[0])) for s in UNARY_SHAPES]),
    OpInfo("special.entr", lambda m, x: m.special.entr(x), positive_unary),
    OpInfo("special.logit", lambda m, x: m.special.logit(x), probabilities),
    OpInfo("special.expit", lambda m, x: m.special.expit(x), lambda rng: [Sample(uniform(rng, s)) for s in UNARY_SHAPES]),
]
