"""MultiheadAttention, the Transformer layers and stacks, RMSNorm and weight tying against PyTorch.

Each case builds the module in both libraries, copies PyTorch's state_dict into nnmath's (so a
PyTorch checkpoint loads), and compares in float64 the outputs, the gradients of the inputs and the
gradients of every parameter (by name); dropout is 0 or the modules are in eval mode."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")
# Mixed bool/float masks are tested on purpose: both libraries warn that mixing them is deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning",
                                        "ignore:The PyTorch API of nested tensors:UserWarning")

# float64 on both sides: the two libraries differ only in summation order (GEMM blocking, the
# blocked softmax), errors of a few ulps of O(1) values amplified by a few layers.
RTOL, ATOL = 1e-9, 1e-10


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def padding_mask(batch, length, seed=0):
    """(batch, length) bool, True = padding: each row keeps at least its first two keys."""
    lengths = np.random.default_rng(seed).integers(2, length + 1, batch)
    return np.arange(length)[None, :] >= lengths[:, None]


def _lib_value(lib, value):
    if isinstance(value, np.ndarray):
        tensor = lib.tensor(value)
        return tensor.requires_grad_() if value.dtype.kind == "f" and value.ndim > 0 else tensor
    return value


def _flat(outputs):
    items = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    return [o for o in items if o is not None]


def check_parity(make, inputs, kwargs=None, train=False, mask_grads=False):
    """Build ``make(lib)`` in both libraries (PyTorch's state loaded into nnmath's, float64), run both on
    ``inputs`` (arrays; float ones differentiable) and ``kwargs`` (arrays become constant tensors,
    float masks differentiable when ``mask_grads``), compare outputs and all gradients."""
    kwargs = kwargs or {}
    theirs = make(torch).double().train(train)
    ours = make(nnmath).double().train(train)
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    t_in, o_in = [_lib_value(torch, x) for x in inputs], [_lib_value(nnmath, x) for x in inputs]
    keep = (lambda v: v) if mask_grads else (lambda v: v.detach() if hasattr(v, "detach") else v)
    t_kw = {k: keep(_lib_value(torch, v)) for k, v in kwargs.items()}
    o_kw = {k: keep(_lib_value(nnmath, v)) for k, v in kwargs.items()}
    t_out, o_out = _flat(theirs(*t_in, **t_kw)), _flat(ours(*o_in, **o_kw))
    assert len(t_out) == len(o_out)
    for a, b in zip(o_out, t_out):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL)
    cotangents = [rand(*b.shape, seed=i + 10) for i, b in enumerate(t_out)]
    sum(((b * torch.tensor(c)).sum() for b, c in zip(t_out, cotangents))).backward()
    sum(((a * nnmath.tensor(c)).sum() for a, c in zip(o_out, cotangents))).backward()
    for a, b in list(zip(o_in, t_in)) + list(zip(o_kw.values(), t_kw.values())):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=RTOL, atol=ATOL)
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        expected = their_params[name].grad
        if expected is None:
            assert p.grad is None or not p.grad.numpy().any(), name
        else:
            np.testing.assert_allclose(p.grad.numpy(), expected.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    return ours, theirs


def test_parity_checker_catches_a_different_module():
    x = rand(5, 2, 8)
    with pytest.raises(AssertionError):
        check_parity(lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation="gelu" if m is nnmath
                                                             else "relu"), [x])


# --- MultiheadAttention ---------------------------------------------------------------------------------------

L, S, N, E = 4, 6, 3, 8
Q, K, V = rand(L, N, E, seed=1), rand(S, N, E, seed=2), rand(S, N, E, seed=3)
CAUSAL = np.triu(np.ones((L, L), dtype=bool), 1)
MHA_CASES = {
    "self_attention": (dict(), (Q, Q, Q), {}),
    "cross_attention_weights_per_head": (dict(), (Q, K, V), dict(average_attn_weights=False)),
    "no_weights": (dict(), (Q, K, V), dict(need_weights=False)),
    "no_bias": (dict(bias=False), (Q, K, V), {}),
    "bias_kv": (dict(add_bias_kv=True), (Q, K, V), dict(key_padding_mask=padding_mask(N, S))),
    "zero_attn": (dict(add_zero_attn=True), (Q, K, V), dict(attn_mask=rand(L, S) > 0.5)),
    "bias_kv_zero_attn_sdpa": (dict(add_bias_kv=True, add_zero_attn=True), (Q, K, V),
                               dict(attn_mask=rand(L, S), key_padding_mask=padding_mask(N, S).astype(float) * -1e9,
                                    need_weights=False)),
    "kdim_vdim": (dict(kdim=5, vdim=7), (Q, rand(S, N, 5), rand(S, N, 7)), {}),
    "kdim_vdim_no_weights": (dict(kdim=5, vdim=7), (Q, rand(S, N, 5), rand(S, N, 7)), dict(need_weights=False)),
    "key_padding_bool": (dict(), (Q, K, V), dict(key_padding_mask=padding_mask(N, S), need_weights=False)),
    "key_padding_float": (dict(), (Q, K, V), dict(key_padding_mask=rand(N, S, seed=4))),
    "mask_2d_bool": (dict(), (Q, Q, Q), dict(attn_mask=CAUSAL)),
    "mask_2d_float": (dict(), (Q, K, V), dict(attn_mask=rand(L, S, seed=5), need_weights=False)),
    "mask_3d_bool": (dict(), (Q, K, V), dict(attn_mask=rand(N * 2, L, S, seed=6) > 0.7)),
    "mask_3d_float_with_padding": (dict(), (Q, K, V), dict(attn_mask=rand(N * 2, L, S, seed=7),
                                                          key_padding_mask=rand(N, S, seed=8), need_weights=False)),
    "is_causal_sdpa": (dict(), (Q, Q, Q), dict(attn_mask=CAUSAL, is_causal=True, need_weights=False)),
    "is_causal_with_weights": (dict(), (Q, Q, Q), dict(attn_mask=CAUSAL, is_causal=True)),
    "is_causal_with_padding": (dict(), (Q, Q, Q), dict(attn_mask=CAUSAL, is_causal=True, need_weights=False,
                                                       key_padding_mask=padding_mask(N, L))),
    "unbatched": (dict(), (Q[:, 0], K[:, 0], V[:, 0]), dict(key_padding_mask=padding_mask(1, S)[0])),
    "unbatched_3d_mask": (dict(), (Q[:, 0], K[:, 0], V[:, 0]), dict(attn_mask=rand(2, L, S) > 0.6,
                                                                    need_weights=False)),
}


@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("case", MHA_CASES)
def test_multihead_attention_matches_pytorch(case, batch_first):
    options, inputs, kwargs = MHA_CASES[case]
    if batch_first:
        inputs = tuple(np.swapaxes(x, 0, 1) if x.ndim == 3 else x for x in inputs)
    ours, theirs = check_parity(lambda m: m.nn.MultiheadAttention(E, 2, batch_first=batch_first, **options),
                                inputs, kwargs, mask_grads=True)
    assert repr(ours) == repr(theirs)


def test_multihead_attention_dropout_is_off_in_eval_and_on_in_training():
    x = nnmath.tensor(rand(L, N, E)).float()
    attention = nnmath.nn.MultiheadAttention(E, 2, dropout=0.5).eval()
    reference = nnmath.nn.MultiheadAttention(E, 2, dropout=0.0).eval()
    reference.load_state_dict(attention.state_dict())
    np.testing.assert_array_equal(attention(x, x, x)[0].detach().numpy(), reference(x, x, x)[0].detach().numpy())
    attention.train()
    with nnmath.no_grad():
        _, weights = attention(x, x, x, average_attn_weights=False)
    dropped = weights.detach().numpy() == 0
    assert 0.3 < dropped.mean() < 0.7  # weights are dropped (and the rest scaled by 2)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_fully_padded_sample_gives_nan_with_weights_and_zeros_without_as_pytorch():
    """With need_weights the softmax is formed explicitly (NaN on a row whose keys are all padding);
    without, scaled_dot_product_attention returns 0 there (and 0 gradients): both as PyTorch."""
    padding = np.zeros((N, S), dtype=bool)
    padding[1] = True
    check_parity(lambda m: m.nn.MultiheadAttention(E, 2), (Q, K, V), dict(key_padding_mask=padding,
                                                                          need_weights=False))
    theirs = torch.nn.MultiheadAttention(E, 2).double()
    ours = nnmath.nn.MultiheadAttention(E, 2).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    expected = theirs(*(torch.tensor(x) for x in (Q, K, V)), key_padding_mask=torch.tensor(padding))[0]
    got = ours(*(nnmath.tensor(x) for x in (Q, K, V)), key_padding_mask=nnmath.tensor(padding))[0]
    assert np.isnan(expected.detach().numpy()[:, 1]).all()
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_multihead_attention_initialisation_follows_pytorch():
    nnmath.manual_seed(0)
    m = nnmath.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier-uniform of the (3E, E) packed weight
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    out_bound = 1 / np.sqrt(64)  # out_proj keeps Linear's kaiming-uniform weight
    assert np.abs(m.out_proj.weight.detach().numpy()).max() <= out_bound
    std = np.sqrt(2 / (64 + 64))  # xavier-normal of a (1, 1, E) tensor: fan_in = fan_out = 1 · E (receptive field E)
    assert m.bias_k.detach().numpy().std() == pytest.approx(std, rel=0.3)
    separate = nnmath.nn.MultiheadAttention(64, 4, kdim=32, vdim=16)
    assert [n for n, _ in separate.named_parameters()] == \
        [n for n, _ in torch.nn.MultiheadAttention(64, 4, kdim=32, vdim=16).named_parameters()]


def test_multihead_attention_errors():
    with pytest.raises(AssertionError, match="divisible"):
        nnmath.nn.MultiheadAttention(10, 3)
    m = nnmath.nn.MultiheadAttention(E, 2)
    x = nnmath.tensor(rand(L, N, E)).float()
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        m(x, x, x, attn_mask=nnmath.ones(L, L + 1, dtype=nnmath.bool))
    with pytest.raises(AssertionError, match="key_padding_mask"):
        m(x, x, x, key_padding_mask=nnmath.ones(N + 1, L, dtype=nnmath.bool))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="3-D"):
        m(x, x[:, 0], x)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        m(x, x, x, key_padding_mask=nnmath.zeros(N, L, dtype=nnmath.bool), attn_mask=nnmath.zeros(L, L))


# --- Transformer layers and stacks ---------------------------------------------------------------------------

SRC, TGT = rand(5, 2, 8, seed=11), rand(4, 2, 8, seed=12)
SRC_PADDING, TGT_PADDING = padding_mask(2, 5, seed=1), padding_mask(2, 4, seed=2)


def tanh_gelu(lib):
    return lib.nn.GELU(approximate="tanh")


LAYER_OPTIONS = {
    "post_norm_relu": dict(),
    "pre_norm_gelu": dict(norm_first=True, activation="gelu"),
    "module_activation_no_bias": dict(activation="module", bias=False, layer_norm_eps=1e-3),
    "function_activation": dict(activation="function", norm_first=True),
}


def _layer_options(lib, options):
    """The options for ``lib``: "module" is a GELU(approximate='tanh') layer, "function" F.silu."""
    options = dict(options)
    if options.get("activation") == "module":
        options["activation"] = tanh_gelu(lib)
    elif options.get("activation") == "function":
        options["activation"] = lib.nn.functional.silu
    return options


@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("options", LAYER_OPTIONS)
@pytest.mark.parametrize("masks", ["none", "causal_float", "bool_and_padding"])
def test_encoder_layer_matches_pytorch(options, batch_first, masks):
    src = np.swapaxes(SRC, 0, 1) if batch_first else SRC
    kwargs = {"none": {}, "causal_float": dict(src_mask=np.triu(np.full((5, 5), -np.inf), 1), is_causal=True),
              "bool_and_padding": dict(src_mask=rand(5, 5) > 0.8, src_key_padding_mask=SRC_PADDING)}[masks]
    check_parity(lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=batch_first,
                                                        **_layer_options(m, LAYER_OPTIONS[options])), [src], kwargs)


@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_decoder_layer_matches_pytorch(options, batch_first):
    tgt, src = (np.swapaxes(TGT, 0, 1), np.swapaxes(SRC, 0, 1)) if batch_first else (TGT, SRC)
    kwargs = dict(tgt_mask=np.triu(np.full((4, 4), -np.inf), 1), tgt_is_causal=True,
                  tgt_key_padding_mask=TGT_PADDING, memory_key_padding_mask=SRC_PADDING,
                  memory_mask=rand(4, 5) > 0.9)
    check_parity(lambda m: m.nn.TransformerDecoderLayer(8, 2, 16, 0.0, batch_first=batch_first,
                                                        **_layer_options(m, LAYER_OPTIONS[options])),
                 [tgt, src], kwargs)


def test_unbatched_layers_match_pytorch():
    check_parity(lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, 0.0), [SRC[:, 0]],
                 dict(src_key_padding_mask=SRC_PADDING[0]))
    check_parity(lambda m: m.nn.TransformerDecoderLayer(8, 2, 16, 0.0, norm_first=True), [TGT[:, 0], SRC[:, 0]])


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_and_decoder_stacks_match_pytorch(norm_first):
    def encoder(m):
        layer = m.nn.TransformerEncoderLayer(8, 2, 16, 0.0, norm_first=norm_first)
        return m.nn.TransformerEncoder(layer, 3, m.nn.LayerNorm(8), enable_nested_tensor=False)

    def decoder(m):
        return m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(8, 2, 16, 0.0, norm_first=norm_first), 2,
                                       m.nn.LayerNorm(8))
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    check_parity(encoder, [SRC], dict(mask=causal))                  # is_causal detected from the mask
    check_parity(encoder, [SRC], dict(src_key_padding_mask=SRC_PADDING))
    check_parity(decoder, [TGT, SRC], dict(tgt_mask=np.triu(np.full((4, 4), -np.inf), 1),
                                           memory_key_padding_mask=SRC_PADDING))


@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
def test_transformer_matches_pytorch(batch_first):
    def make(m):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the nested-tensor notice when batch_first=False
            return m.nn.Transformer(8, 2, 2, 2, 16, 0.0, activation="gelu", batch_first=batch_first)
    src, tgt = (np.swapaxes(SRC, 0, 1), np.swapaxes(TGT, 0, 1)) if batch_first else (SRC, TGT)
    kwargs = dict(tgt_mask=nnmath.nn.Transformer.generate_square_subsequent_mask(4).numpy().astype(np.float64),
                  src_key_padding_mask=SRC_PADDING, memory_key_padding_mask=SRC_PADDING,
                  tgt_key_padding_mask=TGT_PADDING)
    ours, theirs = check_parity(make, [src, tgt], kwargs)
    assert repr(ours) == repr(theirs)


def test_transformer_initialisation_and_errors():
    nnmath.manual_seed(0)
    model = nnmath.nn.Transformer(16, 2, 1, 1, 32, batch_first=True)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()  # xavier-uniform, not Linear's default
    assert np.abs(w).max() <= np.sqrt(6 / (16 + 32))
    assert not model.encoder.layers[0].norm1.bias.detach().numpy().any()
    with pytest.raises(RuntimeError, match="batch number"):
        model(nnmath.randn(2, 5, 16), nnmath.randn(3, 4, 16))
    with pytest.raises(RuntimeError, match="d_model"):
        model(nnmath.randn(2, 5, 16), nnmath.randn(2, 4, 8))
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nnmath.nn.TransformerEncoderLayer(16, 2, activation="tanh")


def test_square_subsequent_mask_matches_pytorch():
    ours = nnmath.nn.Transformer.generate_square_subsequent_mask(5)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(5)
    assert ours.dtype == nnmath.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert nnmath.nn.Transformer.generate_square_subsequent_mask(3, dtype=nnmath.float64).dtype == nnmath.float64


def test_nested_tensor_notice_and_padded_outputs_in_eval_as_pytorch():
    """PyTorch's encoder in eval mode without gradients, batch_first and a padding mask, runs the real
    tokens only and returns 0 at padded positions (before the final norm): same numbers here."""
    def make(m):
        layer = m.nn.TransformerEncoderLayer(8, 2, 16, 0.1, batch_first=True)
        return m.nn.TransformerEncoder(layer, 2)
    theirs = make(torch).double().eval()
    ours = make(nnmath).double().eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    src = np.swapaxes(SRC, 0, 1)
    with torch.no_grad(), nnmath.no_grad():
        expected = theirs(torch.tensor(src), src_key_padding_mask=torch.tensor(SRC_PADDING)).numpy()
        got = ours(nnmath.tensor(src), src_key_padding_mask=nnmath.tensor(SRC_PADDING)).numpy()
    assert not expected[SRC_PADDING].any()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)  # PyTorch's fused kernels: ~1e-7 apart
    with pytest.warns(UserWarning, match="norm_first was True"):
        nnmath.nn.TransformerEncoder(nnmath.nn.TransformerEncoderLayer(8, 2, norm_first=True), 1)


# --- normalisation, activation, weight tying ------------------------------------------------------------------

NORM_CASES = {
    "rms": (lambda m: m.nn.RMSNorm(6), (4, 6)),
    "rms_2d_eps": (lambda m: m.nn.RMSNorm((2, 3), eps=1e-3), (4, 2, 3)),
    "rms_no_affine": (lambda m: m.nn.RMSNorm(6, elementwise_affine=False), (4, 6)),
    "layernorm_no_bias": (lambda m: m.nn.LayerNorm(6, bias=False), (4, 6)),
    "gelu_tanh": (lambda m: m.nn.GELU("tanh"), (4, 6)),
}


@pytest.mark.parametrize("case", NORM_CASES)
def test_normalisation_and_activation_modules_match_pytorch(case):
    make, shape = NORM_CASES[case]
    ours, theirs = check_parity(make, [rand(*shape) * 2])
    assert repr(ours) == repr(theirs)


def tied_lm(lib):
    nn = lib.nn

    class TiedLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(11, 6)
            self.norm = nn.LayerNorm(6)
            self.lm_head = nn.Linear(6, 11, bias=False)
            self.lm_head.weight = self.emb.weight

        def forward(self, ids):
            return self.lm_head(self.norm(self.emb(ids)))
    return TiedLM()


def test_weight_tying_one_parameter_two_uses_summed_gradient():
    ours = tied_lm(nnmath)
    assert [n for n, _ in ours.named_parameters()] == ["emb.weight", "norm.weight", "norm.bias"]
    assert ours.lm_head.weight is ours.emb.weight
    assert list(ours.state_dict()) == list(tied_lm(torch).state_dict())  # both names, as PyTorch
    ids = np.random.default_rng(0).integers(0, 11, (3, 4))
    theirs = tied_lm(torch).double()
    ours = ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert ours.lm_head.weight is ours.emb.weight
    (ours(nnmath.tensor(ids)) ** 2).sum().backward()
    (theirs(torch.tensor(ids)) ** 2).sum().backward()
    np.testing.assert_allclose(ours.emb.weight.grad.numpy(), theirs.emb.weight.grad.numpy(), rtol=RTOL, atol=ATOL)
    # the gradient is the sum of both uses: untie a copy, and the two separate gradients add up to it
    untied = tied_lm(nnmath).double()
    untied.lm_head.weight = nnmath.nn.Parameter(ours.emb.weight.detach().clone())
    untied.load_state_dict(ours.state_dict())
    assert untied.lm_head.weight is not untied.emb.weight
    (untied(nnmath.tensor(ids)) ** 2).sum().backward()
    np.testing.assert_allclose(untied.emb.weight.grad.numpy() + untied.lm_head.weight.grad.numpy(),
                               ours.emb.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
