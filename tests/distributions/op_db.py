"""Op-table entry of the Gamma reparameterisation (z = F⁻¹(u; α), differentiated implicitly)."""
from __future__ import annotations


from nnmath.special import StandardGamma
from opinfo import OpInfo, Sample, positive


def levels(rng):
    return [Sample(positive(rng, s, low=0.5, high=4.0), {"u": rng.uniform(0.05, 0.95, s)}) for s in [(), (3,), (2, 2)]]


OP_DB = [
    OpInfo("distributions.standard_gamma_icdf", lambda m, alpha, u: StandardGamma.apply(alpha, u, None), levels,
           covers=(StandardGamma,), parity=False, gradgrad=False),
]
