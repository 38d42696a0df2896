"""Probability distributions with PyTorch's ``torch.distributions`` API.

Every distribution has ``batch_shape``/``event_shape``, ``sample``, ``log_prob``, ``entropy``, ``mean``,
``mode``, ``variance``, ``stddev``, ``expand``, ``support`` and ``arg_constraints``; continuous families
with a reparameterisation have a differentiable ``rsample``. ``kl_divergence(p, q)`` looks the pair up in
a registry of closed forms (``register_kl``). Parameters are validated by default
(``Distribution.set_default_validate_args(False)`` turns that off).
"""
from nnmath.distributions import constraints
from nnmath.distributions.continuous import Beta, Dirichlet, Exponential, Gamma, Laplace, Normal, Uniform
from nnmath.distributions.discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from nnmath.distributions.distribution import Distribution
from nnmath.distributions.independent import Independent
from nnmath.distributions.kl import kl_divergence, register_kl
from nnmath.distributions.multivariate_normal import MultivariateNormal

__all__ = ["Distribution", "Normal", "Uniform", "Exponential", "Laplace", "Gamma", "Beta", "Dirichlet",
           "Bernoulli", "Categorical", "OneHotCategorical", "Binomial", "Geometric", "Poisson", "MultivariateNormal",
           "Independent", "kl_divergence", "register_kl", "constraints"]
