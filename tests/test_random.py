"""The random stream is PyTorch's: the same seed gives the same numbers, sample for sample, in every
random op, layer initialisation, dropout mask and DataLoader order; and the stream ends in the same
place (the next draw agrees too)."""
import numpy as np
import pytest

import nnmath
from nnmath import random as R

torch = pytest.importorskip("torch")


def _same(ours, theirs):
    a, b = np.asarray(ours), theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    np.testing.assert_array_equal(a, b)


DRAWS = [
    ("rand float32", lambda: R.uniform((37,), np.float32), lambda t: t.rand(37)),
    ("rand float64", lambda: R.uniform((5, 2), np.float64), lambda t: t.rand(5, 2, dtype=t.float64)),
    ("rand float16", lambda: R.uniform((7,), np.float16), lambda t: t.rand(7, dtype=t.float16)),
    ("uniform_ bounds", lambda: R.uniform((20,), np.float32, -2.5, 3.0), lambda t: t.empty(20).uniform_(-2.5, 3.0)),
    ("randn 16k (vector kernel)", lambda: R.normal((16000,), np.float32), lambda t: t.randn(16000)),
    ("randn 37 (tail redrawn)", lambda: R.normal((37,), np.float32), lambda t: t.randn(37)),
    ("randn 5 (one at a time)", lambda: R.normal((5,), np.float32), lambda t: t.randn(5)),
    ("randn float64", lambda: R.normal((100,), np.float64), lambda t: t.randn(100, dtype=t.float64)),
    ("normal_ mean std", lambda: R.normal((50,), np.float32, 2.0, 3.0), lambda t: t.empty(50).normal_(2.0, 3.0)),
    ("randint", lambda: R.randint(-3, 10, (13,)), lambda t: t.randint(-3, 10, (13,))),
    ("randint wide range", lambda: R.randint(0, 2 ** 40, (3,)), lambda t: t.randint(0, 2 ** 40, (3,))),
    ("randperm", lambda: R.randperm(100), lambda t: t.randperm(100)),
    ("bernoulli_ number", lambda: R.bernoulli((30,), 0.3).astype(np.float32), lambda t: t.empty(30).bernoulli_(0.3)),
    ("bernoulli tensor", lambda: R.bernoulli_probs(np.linspace(0, 1, 30, dtype=np.float32)).astype(np.float32),
     lambda t: t.bernoulli(t.linspace(0, 1, 30))),
    ("exponential_", lambda: R.exponential((9,), np.float32, 2.0), lambda t: t.empty(9).exponential_(2.0)),
    ("multinomial with replacement", lambda: R.multinomial(np.array([[1, 2, 3, 4.]], np.float32), 9, True),
     lambda t: t.multinomial(t.tensor([[1, 2, 3, 4.]]), 9, True)),
    ("multinomial without replacement", lambda: R.multinomial(np.array([[1, 2, 3, 4.]], np.float32), 3, False),
     lambda t: t.multinomial(t.tensor([[1, 2, 3, 4.]]), 3)),
    ("multinomial one sample per row", lambda: R.multinomial(np.ones((3, 4), np.float32), 1, True),
     lambda t: t.multinomial(t.ones(3, 4), 1, True)),
    ("random_ int64", lambda: R.random_full((4,), np.int64), lambda t: t.empty(4, dtype=t.int64).random_()),
]


@pytest.mark.parametrize("name,ours,theirs", DRAWS, ids=[d[0] for d in DRAWS])
@pytest.mark.parametrize("seed", [0, 2024])
def test_each_sampler_draws_pytorchs_numbers_and_ends_where_pytorch_does(name, ours, theirs, seed):
    torch.manual_seed(seed)
    nnmath.manual_seed(seed)
    _same(ours(), theirs(torch))
    _same(R.uniform((3,), np.float32), torch.rand(3))


def test_the_cached_second_normal_is_kept_across_calls_and_cleared_by_seeding():
    torch.manual_seed(3)
    nnmath.manual_seed(3)
    _same(R.normal((3,), np.float64), torch.randn(3, dtype=torch.float64))  # leaves a partner cached
    _same(R.normal((2,), np.float64), torch.randn(2, dtype=torch.float64))  # starts with it
    torch.manual_seed(3)
    nnmath.manual_seed(3)
    _same(R.normal((1,), np.float64), torch.randn(1, dtype=torch.float64))


def test_public_functions_layers_dropout_and_loader_order_match_pytorch():
    def program(m):
        m.manual_seed(0)
        out = [m.rand(3), m.randn(20), m.randint(0, 10, (5,)), m.randperm(7), m.normal(0.0, 1.0, (2, 8)),
               m.normal(m.zeros(3), m.ones(3) * 2), m.bernoulli(m.full((6,), 0.5)),
               m.multinomial(m.tensor([0.2, 0.3, 0.5]), 4, True), m.randn_like(m.zeros(2, 9))]
        layers = [m.nn.Linear(5, 3), m.nn.Conv2d(2, 4, 3), m.nn.Embedding(4, 3), m.nn.LSTM(3, 4, 2),
                  m.nn.GRU(2, 3)]
        out += [p for layer in layers for p in layer.parameters()]
        w = m.empty(4, 6)
        m.nn.init.xavier_uniform_(w)
        out += [w, m.nn.init.kaiming_normal_(m.empty(3, 5)), m.nn.init.orthogonal_(m.empty(3, 5))]
        out += [m.nn.functional.dropout(m.ones(30), 0.3), m.nn.functional.dropout2d(m.ones(2, 5, 2, 2), 0.5)]
        data = m.utils.data.TensorDataset(m.arange(10))
        for _ in range(2):  # two epochs: a shuffle each, and the loader's own seed draws in between
            out += [b[0] for b in m.utils.data.DataLoader(data, batch_size=4, shuffle=True)]
        out += [b[0] for b in m.utils.data.DataLoader(data, batch_size=4)]
        out.append(m.rand(2))
        return [o.detach().numpy() for o in out]

    theirs, ours = program(torch), program(nnmath)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if a.dtype == np.float32 and a.ndim == 2 and a.shape == (3, 5) and not np.array_equal(a, b):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # orthogonal_: two LAPACK QRs in float32
        else:
            np.testing.assert_array_equal(a, b)


def test_generators_are_independent_and_state_restores_the_stream():
    g = nnmath.Generator().manual_seed(5)
    t = torch.Generator().manual_seed(5)
    nnmath.manual_seed(1)
    _same(nnmath.randn(40, generator=g).numpy(), torch.randn(40, generator=t))
    state = g.get_state()
    first = nnmath.rand(4, generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(nnmath.rand(4, generator=g).numpy(), first)
    torch.manual_seed(1)
    _same(nnmath.rand(3).numpy(), torch.rand(3))  # the global stream did not move


def test_a_fresh_generator_and_an_unseeded_program_use_pytorchs_default_seed():
    assert nnmath.Generator().initial_seed() == torch.Generator().initial_seed() == R.DEFAULT_SEED
    _same(nnmath.rand(5, generator=nnmath.Generator()).numpy(), torch.rand(5, generator=torch.Generator()))


def test_the_parity_check_fails_on_a_different_stream():
    torch.manual_seed(0)
    nnmath.manual_seed(1)
    with pytest.raises(AssertionError):
        _same(R.uniform((5,), np.float32), torch.rand(5))


def test_distributions_sample_pytorchs_numbers():
    def draws(m):
        m.manual_seed(0)
        D = m.distributions
        return [D.Normal(m.zeros(3), m.ones(3)).rsample((2,)), D.Categorical(m.tensor([0.1, 0.2, 0.7])).sample((5,)),
                D.Categorical(logits=m.zeros(2, 3)).sample(), D.Uniform(m.zeros(2), m.ones(2)).sample(),
                D.Bernoulli(m.tensor([0.3, 0.6, 0.9])).sample(), D.Exponential(m.ones(2)).sample(),
                D.Laplace(m.zeros(2), m.ones(2)).sample(), D.MultivariateNormal(m.zeros(2), m.eye(2)).sample(),
                D.multinomial.Multinomial(10, m.ones([6]) / 6).sample(),
                D.Multinomial(5, probs=m.tensor([[0.2, 0.8], [0.5, 0.5]])).sample((2,))]
    for ours, theirs in zip(draws(nnmath), draws(torch)):
        _same(ours.numpy(), theirs)


def test_multinomial_log_prob_matches_pytorch():
    def log_probs(m):
        D = m.distributions
        return [D.Multinomial(10, m.ones([6]) / 6).log_prob(m.tensor([1.0, 2, 3, 0, 4, 0])),
                D.Multinomial(3, logits=m.tensor([0.0, -float("inf"), 1.0])).log_prob(m.tensor([1.0, 0, 2])),
                D.Multinomial(4, probs=m.tensor([[0.1, 0.9], [0.6, 0.4]])).mean]
    for ours, theirs in zip(log_probs(nnmath), log_probs(torch)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
