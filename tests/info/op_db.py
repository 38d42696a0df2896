"""Op-table entries of nnmath.info (compositions; PyTorch has no nnmath.info, so parity=False)."""
from __future__ import annotations


import numpy as np

from opinfo import OpInfo, Sample, point, points, set_special_points


def _simplex(rng, shape):
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum()


def vectors(rng):
    return [Sample((_simplex(rng, (4,)),)), Sample((_simplex(rng, (2,)),))]


def tables(rng):
    return [Sample((_simplex(rng, (2, 3)),)), Sample((_simplex(rng, (3, 3)),))]


def pairs(rng):
    return [Sample((_simplex(rng, (4,)), _simplex(rng, (4,))))]


def n(p):
    """Renormalised, so gradcheck's perturbations keep the table valid (sum within 1e-6)."""
    return p / p.sum()


OP_DB = [
    OpInfo("info.entropy", lambda m, p: m.info.entropy(n(p)), vectors, parity=False),
    OpInfo("info.joint_entropy", lambda m, p: m.info.joint_entropy(n(p)), tables, parity=False),
    OpInfo("info.conditional_entropy", lambda m, p: m.info.conditional_entropy(n(p), given=0), tables, parity=False),
    OpInfo("info.mutual_information", lambda m, p: m.info.mutual_information(n(p)), tables, parity=False),
    OpInfo("info.conditional_mutual_information", lambda m, p: m.info.conditional_mutual_information(n(p)),
           lambda rng: [Sample((_simplex(rng, (2, 2, 2)),))], parity=False),
    OpInfo("info.kl_divergence", lambda m, p, q: m.info.kl_divergence(n(p), n(q)), pairs, parity=False),
    OpInfo("info.js_divergence", lambda m, p, q: m.info.js_divergence(n(p), n(q)), pairs, parity=False),
    OpInfo("info.cross_entropy", lambda m, p, q: m.info.cross_entropy(n(p), n(q)), pairs, parity=False),
]


# The uniform distribution is each functional's stationary point; a zero probability is the edge of the
# simplex, where ∂H/∂p = +∞ (and PyTorch has no nnmath.info to compare a convention with).
UNIFORM = points(point([0.25, 0.25, 0.25, 0.25]))
UNIFORM_TABLE = points(point(np.full((2, 3), 1 / 6)))
UNIFORM_PAIR = points(point([0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]),       # p = q: divergence 0
                      point([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]))
SPECIAL = {
    "info.entropy": UNIFORM, "info.joint_entropy": UNIFORM_TABLE, "info.conditional_entropy": UNIFORM_TABLE,
    "info.mutual_information": UNIFORM_TABLE,
    "info.conditional_mutual_information": points(point(np.full((2, 2, 2), 0.125))),
    "info.kl_divergence": UNIFORM_PAIR, "info.js_divergence": UNIFORM_PAIR, "info.cross_entropy": UNIFORM_PAIR,
}

set_special_points(OP_DB, SPECIAL)
