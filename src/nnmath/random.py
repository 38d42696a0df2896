"""Random numbers as PyTorch draws them on the CPU: the same seed gives the same numbers.

PyTorch's CPU generator is the Mersenne Twister MT19937, seeded with the low 32 bits of the seed
(Matsumoto and Nishimura's ``init_genrand``), and every random op turns its 32- or 64-bit outputs
into samples by a fixed rule. :class:`Generator` holds that stream (NumPy's MT19937 bit generator,
given the state PyTorch's seeding makes) and the functions below apply PyTorch's rules:

- uniform on [a, b):  u = (r₃₂ mod 2²⁴)·2⁻²⁴ for float32 (and float16, rounded),
  u = (r₆₄ mod 2⁵³)·2⁻⁵³ for float64, where r₆₄ = r₃₂·2³² + r₃₂′ (two draws, the first high);
  x = a + (b − a)·u;
- normal: tensors of at least 16 elements are filled with uniforms and turned 16 at a time by
  Box–Muller, zⱼ = √(−2 ln(1 − uⱼ))·cos(2π uⱼ₊₈) and zⱼ₊₈ = …·sin(…), the last 16 redrawn
  when 16 does not divide the size; for float32 with PyTorch's own polynomial log, sin and cos
  (Cephes' single-precision ones, with the fused multiply-adds the compiler makes), so the results
  are bit-identical. Smaller tensors draw one double at a time, Box–Muller on two float64 uniforms
  with the sine value kept for the next draw (PyTorch's cached second sample);
- integers on [a, b): a + r mod (b − a), with r₃₂, or r₆₄ when b − a ≥ 2³²; permutations by the
  Fisher–Yates swaps of r₃₂ mod (n − i); Bernoulli(p) for a number p: u₆₄ < p, for a tensor of
  probabilities: u₃₂ < p; exponential: −ln(1 − u₆₄)/λ; multinomial with replacement: the first
  category whose cumulative probability reaches u₆₄, without (or for one sample): the largest
  pᵢ/Eᵢ with Eᵢ exponential.

(These are PyTorch's kernels for CPUs without Intel's MKL random streams, which PyTorch uses for
``bernoulli_(p)`` only on Intel processors.)
"""
from __future__ import annotations

import numpy as np

DEFAULT_SEED = 67280421310721  # PyTorch's default seed: a fresh generator, or an unseeded program
_MASK32 = 0xFFFF_FFFF


def _init_genrand(seed32: int) -> np.ndarray:
    """The MT19937 key for a 32-bit seed (Matsumoto and Nishimura's init_genrand)."""
    key = np.empty(624, np.uint32)
    x = seed32
    key[0] = x
    for i in range(1, 624):
        x = (1812433253 * (x ^ (x >> 30)) + i) & _MASK32
        key[i] = x
    return key


class Generator:
    """A random-number generator: PyTorch's ``Generator`` API and stream (MT19937, seeded as PyTorch
    seeds it)."""

    def __init__(self, device="cpu"):
        self._bits = np.random.MT19937(0)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
        self._seed = seed
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": _init_genrand(seed & _MASK32), "pos": 624}}
        self._next_normal = None  # the double Box–Muller partner PyTorch keeps for the next draw
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed used."""
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The generator's full state (a JSON-serialisable dict), for exact resume."""
        state = self._bits.state["state"]
        return {"seed": self._seed, "key": state["key"].tolist(), "pos": int(state["pos"]),
                "next_normal": self._next_normal}

    def set_state(self, state: dict) -> "Generator":
        self._seed = int(state["seed"])
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": np.asarray(state["key"], np.uint32), "pos": int(state["pos"])}}
        self._next_normal = state.get("next_normal")
        return self

    @property
    def numpy(self) -> np.random.Generator:
        """A ``numpy.random.Generator`` drawing from this generator's stream (for the samplers PyTorch
        has no counterpart of here)."""
        return np.random.Generator(self._bits)

    # --- the raw streams ----------------------------------------------------------------------
    def random32(self, n: int) -> np.ndarray:
        """n consecutive 32-bit outputs (as uint64)."""
        return self._bits.random_raw(n)

    def random64(self, n: int) -> np.ndarray:
        """n 64-bit numbers, each from two 32-bit outputs, the first the high half."""
        r = self._bits.random_raw(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator: the same seed gives the same sequence of random tensors (the same
    as PyTorch's)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng(generator: Generator | None = None) -> np.random.Generator:
    """A NumPy generator drawing from ``generator``'s stream (or the global one's)."""
    return (generator or default_generator).numpy


def _gen(generator):
    return generator or default_generator


# --- uniform ---------------------------------------------------------------------------------------

def _unit_float32(g: Generator, n: int) -> np.ndarray:
    return (g.random32(n) & np.uint64(0xFFFFFF)).astype(np.float32) * np.float32(2.0 ** -24)


def _unit_float64(g: Generator, n: int) -> np.ndarray:
    return (g.random64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * (2.0 ** -53)


def uniform(shape, np_dtype, low=0.0, high=1.0, generator=None) -> np.ndarray:
    """Samples of U[low, high) of ``np_dtype``, as PyTorch's ``uniform_``."""
    g, n, dt = _gen(generator), int(np.prod(shape)), np.dtype(np_dtype)
    if dt == np.float64:
        u = _unit_float64(g, n)
        return (u * (high - low) + low).reshape(shape)
    u = _unit_float32(g, n).astype(np.float64)
    low, high = float(np.float32(low)), float(np.float32(high))  # PyTorch casts the bounds first
    return (u * (high - low) + low).astype(np.float32).astype(dt, copy=False).reshape(shape)


# --- normal ----------------------------------------------------------------------------------------

_F32 = np.float32


def _fma32(a, b, c):
    """a·b + c rounded once to float32 (the product of two floats is exact in float64)."""
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(np.float32)


def _log_ps(x):
    """PyTorch's vectorised single-precision natural log (Cephes' polynomial, as compiled with FMA)."""
    invalid = x <= 0
    x = np.maximum(x, np.uint32(0x00800000).view(np.float32))
    bits = x.view(np.uint32)
    exponent = (bits >> np.uint32(23)).astype(np.int32) - 0x7F
    x = ((bits & np.uint32(0x807FFFFF)) | np.float32(0.5).view(np.uint32)).view(np.float32)
    e = exponent.astype(np.float32) + _F32(1)
    small = x < _F32(0.707106781186547524)
    shift = np.where(small, x, _F32(0))
    x = x - _F32(1)
    e = e - np.where(small, _F32(1), _F32(0))
    x = x + shift
    z = x * x
    y = np.full_like(x, _F32(7.0376836292e-2))
    for c in (-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
              2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1):
        y = _fma32(y, x, _F32(c))
    y = _fma32(y * x, z, e * _F32(-2.12194440e-4))
    y = _fma32(z, _F32(-0.5), y)
    x = _fma32(e, _F32(0.693359375), x + y)
    return np.where(invalid, _F32(np.nan), x)


def _sincos_ps(x):
    """PyTorch's vectorised single-precision sine and cosine (Cephes' polynomials, compiled with FMA)."""
    sign_sin = x.view(np.uint32) & np.uint32(0x80000000)
    x = np.abs(x)
    j = ((x * _F32(1.27323954473516)).astype(np.int32) + 1) & ~1
    y = j.astype(np.float32)
    sign_sin = sign_sin ^ ((j & 4) << 29).astype(np.uint32)
    sign_cos = ((~(j - 2) & 4) << 29).astype(np.uint32)
    first = (j & 2) == 0
    for dp in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma32(y, _F32(dp), x)
    z = x * x
    yc = _fma32(np.full_like(z, _F32(2.443315711809948e-5)), z, _F32(-1.388731625493765e-3))
    yc = _fma32(yc, z, _F32(4.166664568298827e-2))
    yc = _fma32(yc * z, z, -(z * _F32(0.5))) + _F32(1)
    ys = _fma32(np.full_like(z, _F32(-1.9515295891e-4)), z, _F32(8.3321608736e-3))
    ys = _fma32(ys, z, _F32(-1.6666654611e-1))
    ys = _fma32(ys * z, x, x)
    s, c = np.where(first, ys, yc), np.where(first, yc, ys)
    return (s.view(np.uint32) ^ sign_sin).view(np.float32), (c.view(np.uint32) ^ sign_cos).view(np.float32)


def _box_muller_16(u, mean, std):
    """Rows of 16 uniforms → 16 normals each (PyTorch's ``normal_fill_16``)."""
    u1, u2 = 1 - u[:, :8], u[:, 8:]
    if u.dtype == np.float32:
        radius = np.sqrt(_F32(-2) * _log_ps(u1))
        s, c = _sincos_ps(_F32(2 * np.pi) * u2)
        z = np.concatenate([radius * c, radius * s], 1)
        return z if (mean, std) == (0.0, 1.0) else _fma32(z, _F32(std), _F32(mean))
    radius = np.sqrt(-2 * np.log(u1))
    theta = 2 * np.pi * u2
    return np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], 1) * std + mean


def _normal_fill(g, n, dt, mean, std):
    unit = _unit_float32 if dt == np.float32 else _unit_float64
    data = unit(g, n)
    full = n // 16 * 16
    data[:full] = _box_muller_16(data[:full].reshape(-1, 16), mean, std).reshape(-1)
    if n % 16:
        data[n - 16:] = _box_muller_16(unit(g, 16).reshape(1, 16), mean, std).reshape(-1)
    return data


def _normal_one(g, mean, std):
    """One draw of PyTorch's double ``normal_distribution``: Box–Muller, the partner kept."""
    if g._next_normal is not None:
        z, g._next_normal = g._next_normal, None
        return z * std + mean
    u1, u2 = _unit_float64(g, 2)
    radius = np.sqrt(-2.0 * np.log1p(-u2))
    theta = 2.0 * np.pi * u1
    g._next_normal = float(radius * np.sin(theta))
    return float(radius * np.cos(theta)) * std + mean


def normal(shape, np_dtype, mean=0.0, std=1.0, generator=None) -> np.ndarray:
    """Samples of N(mean, std²) of ``np_dtype``, as PyTorch's ``normal_``."""
    g, n, dt = _gen(generator), int(np.prod(shape)), np.dtype(np_dtype)
    if n >= 16:
        work = np.float64 if dt == np.float64 else np.float32
        data = _normal_fill(g, n, np.dtype(work), float(work(mean)), float(work(std)))
    else:
        data = np.array([_normal_one(g, mean, std) for _ in range(n)], np.float64)
    return data.astype(dt, copy=False).reshape(shape)


# --- integers, permutations, events ------------------------------------------------------------------

def randint(low: int, high: int, shape, generator=None) -> np.ndarray:
    """Integers uniform on [low, high) (int64), as PyTorch's ``random_(low, high)``."""
    g, n, span = _gen(generator), int(np.prod(shape)), int(high) - int(low)
    raw = g.random64(n) if span >= 2 ** 32 else g.random32(n)
    return ((raw % np.uint64(span)).astype(np.int64) + int(low)).reshape(shape)


def random_full(shape, np_dtype, generator=None) -> np.ndarray:
    """``random_()`` without bounds: integers on [0, 2^digits] for floats (digits of the mantissa,
    with the hidden bit) and on [0, max] for integer types."""
    g, n, dt = _gen(generator), int(np.prod(shape)), np.dtype(np_dtype)
    if dt.kind == "f":
        digits = np.finfo(dt).nmant + 1
        return (g.random32(n) % np.uint64((1 << digits) + 1)).astype(dt).reshape(shape)
    if dt == np.bool_:
        return (g.random32(n) % np.uint64(2)).astype(dt).reshape(shape)
    top = int(np.iinfo(dt).max) + 1
    raw = g.random64(n) if dt == np.int64 else g.random32(n)
    return (raw % np.uint64(top)).astype(dt).reshape(shape)


def randperm(n: int, generator=None) -> np.ndarray:
    """A random permutation of 0 … n−1 (int64), by PyTorch's Fisher–Yates swaps."""
    g, n = _gen(generator), int(n)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    # the swap partners j = i + r mod (n − i) do not depend on the swaps: drawn at once
    partners = (np.arange(n - 1) + (g.random32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64))
    perm = list(range(n))
    for i, j in enumerate(partners.tolist()):
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)


def bernoulli(shape, p: float, generator=None) -> np.ndarray:
    """Booleans, True with probability ``p`` (a number), as PyTorch's ``bernoulli_(p)``."""
    return _unit_float64(_gen(generator), int(np.prod(shape))).reshape(shape) < p


def bernoulli_probs(probs: np.ndarray, generator=None) -> np.ndarray:
    """Booleans, True with probability ``probs`` elementwise, as PyTorch's ``bernoulli(probs)``."""
    u = _unit_float32(_gen(generator), probs.size).astype(np.float64).reshape(probs.shape)
    return u < probs


def exponential(shape, np_dtype, lambd=1.0, generator=None) -> np.ndarray:
    """Samples of Exp(λ), as PyTorch's ``exponential_``: −ln(1 − u)/λ with u a double uniform."""
    u = _unit_float64(_gen(generator), int(np.prod(shape)))
    return (-np.log1p(-u) / lambd).astype(np_dtype).reshape(shape)


def multinomial(weights: np.ndarray, num_samples: int, replacement: bool, generator=None) -> np.ndarray:
    """Category indices drawn from each row of ``weights`` (2-D, non-negative), as PyTorch's
    ``multinomial``."""
    g = _gen(generator)
    if not replacement or num_samples == 1:  # PyTorch's fast path: the largest pᵢ/Eᵢ, Eᵢ ~ Exp(1)
        keys = weights / exponential(weights.shape, weights.dtype, generator=g)
        return np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = np.empty((weights.shape[0], num_samples), np.int64)
    for row in range(weights.shape[0]):
        cdf = np.cumsum(weights[row].astype(np.float64))
        cdf /= cdf[-1]
        out[row] = np.minimum(np.searchsorted(cdf, _unit_float64(g, num_samples), side="left"),
                              weights.shape[1] - 1)
    return out


class Draws:
    """NumPy-style sampling methods drawing PyTorch's numbers in ``np_dtype`` from the global
    generator, for code written against ``numpy.random.Generator`` (the distributions' noise)."""

    def __init__(self, np_dtype, generator=None):
        self.dtype, self.generator = np.dtype(np_dtype), generator

    def standard_normal(self, shape):
        return normal(tuple(shape), self.dtype, generator=self.generator)

    def random(self, shape):
        return uniform(tuple(shape), self.dtype, generator=self.generator)

    def uniform(self, low, high, shape):
        return uniform(tuple(shape), self.dtype, low, high, self.generator)

    def standard_exponential(self, shape):
        return exponential(tuple(shape), self.dtype, generator=self.generator)
