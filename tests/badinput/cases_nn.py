"""Layers and nn.functional: inputs of the wrong size or rank, hyper-parameters out of range, losses
with targets that do not fit."""
from __future__ import annotations

from differential import Case

CASES: list[Case] = []


def _fixed(lib, module):
    """``module`` with every parameter set to fixed values (the same in both libraries)."""
    with lib.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(lib.linspace(-0.5, 0.5 + 0.1 * i, p.numel()).reshape(p.shape))
    return module


def _input(lib, *shape):
    n = 1
    for s in shape:
        n *= s
    return lib.linspace(-1.0, 1.0, max(n, 1)).reshape(shape) if n else lib.ones(*shape)


def _layer(make, *shape):
    return lambda lib: _fixed(lib, make(lib))(_input(lib, *shape))


LAYERS = [
    ("linear-in-features", _layer(lambda lib: lib.nn.Linear(3, 2), 4, 5), ("Linear", "linear", "mat1"),
     ("5", "3", "(4, 5)")),
    ("linear-0d-input", _layer(lambda lib: lib.nn.Linear(3, 2)), ("Linear", "linear", "matmul"), ("0", "()", "0-d")),
    ("linear-empty-batch-ok", _layer(lambda lib: lib.nn.Linear(3, 2), 0, 3), None, None),
    ("linear-3d-ok", _layer(lambda lib: lib.nn.Linear(3, 2), 2, 4, 3), None, None),
    ("bilinear-sizes", lambda lib: _fixed(lib, lib.nn.Bilinear(2, 3, 4))(_input(lib, 5, 2), _input(lib, 5, 2)),
     ("Bilinear", "bilinear"), ("3", "2")),
    ("conv2d-channels", _layer(lambda lib: lib.nn.Conv2d(3, 4, 3), 1, 2, 5, 5), ("Conv2d", "conv2d"),
     ("3", "2", "(1, 2, 5, 5)")),
    ("conv2d-2d-input", _layer(lambda lib: lib.nn.Conv2d(1, 4, 3), 5, 5), ("Conv2d", "conv2d"), ("(5, 5)", "2", "3D",
                                                                                                  "4D")),
    ("conv2d-3d-input-ok", _layer(lambda lib: lib.nn.Conv2d(1, 2, 3), 1, 5, 5), None, None),
    ("conv2d-5d-input", _layer(lambda lib: lib.nn.Conv2d(1, 4, 3), 1, 1, 1, 5, 5), ("Conv2d", "conv2d"),
     ("(1, 1, 1, 5, 5)", "5", "3D", "4D")),
    ("conv2d-kernel-too-large", _layer(lambda lib: lib.nn.Conv2d(1, 1, 5), 1, 1, 3, 3), ("Conv2d", "conv2d", "kernel"),
     ("5", "3", "(3 x 3)")),
    ("conv2d-stride-zero", lambda lib: lib.nn.functional.conv2d(_input(lib, 1, 1, 4, 4), lib.ones(1, 1, 2, 2),
                                                                stride=0), ("conv2d", "stride"), ("0",)),
    ("conv2d-padding-negative", lambda lib: lib.nn.functional.conv2d(_input(lib, 1, 1, 4, 4), lib.ones(1, 1, 2, 2),
                                                                     padding=-1), ("conv2d", "padding"), ("-1",)),
    ("conv2d-groups-indivisible", lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2), ("Conv2d", "groups"), ("3", "2")),
    ("conv2d-bad-padding-string", lambda lib: lib.nn.Conv2d(1, 1, 3, padding="full"), ("Conv2d", "padding"),
     ("full",)),
    ("conv2d-same-with-stride", lambda lib: lib.nn.Conv2d(1, 1, 3, padding="same", stride=2), ("Conv2d", "padding"),
     ("same", "stride")),
    ("conv2d-same-ok", _layer(lambda lib: lib.nn.Conv2d(1, 2, 3, padding="same"), 1, 1, 4, 4), None, None),
    ("conv2d-weight-rank", lambda lib: lib.nn.functional.conv2d(_input(lib, 1, 1, 4, 4), lib.ones(1, 2, 2)),
     ("conv2d",), ("(1, 2, 2)", "3", "4")),
    ("conv1d-channels", _layer(lambda lib: lib.nn.Conv1d(2, 3, 2), 1, 3, 6), ("Conv1d", "conv1d"), ("3", "2")),
    ("conv-transpose-channels", _layer(lambda lib: lib.nn.ConvTranspose2d(2, 3, 2), 1, 3, 4, 4),
     ("ConvTranspose2d", "conv_transpose2d"), ("3", "2")),
    ("conv-transpose-output-padding", _layer(lambda lib: lib.nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2),
                                             1, 1, 4, 4),
     ("ConvTranspose2d", "conv_transpose2d", "output_padding", "output padding"), ("2",)),
    ("maxpool-kernel-too-large", _layer(lambda lib: lib.nn.MaxPool2d(4), 1, 1, 3, 3), ("MaxPool2d", "max_pool2d"),
     ("4", "3")),
    ("maxpool-padding-too-large", _layer(lambda lib: lib.nn.MaxPool2d(2, padding=2), 1, 1, 4, 4),
     ("MaxPool2d", "max_pool2d", "pad"), ("2", "half")),
    ("maxpool-stride-zero", lambda lib: lib.nn.functional.max_pool2d(_input(lib, 1, 1, 4, 4), 2, stride=0),
     ("max_pool2d", "stride"), ("0",)),
    ("avgpool-kernel-zero", lambda lib: lib.nn.functional.avg_pool2d(_input(lib, 1, 1, 4, 4), 0),
     ("avg_pool2d", "kernel"), ("0",)),
    ("avgpool-1d-input", lambda lib: lib.nn.functional.avg_pool2d(_input(lib, 4), 2), ("avg_pool2d",),
     ("(4,)", "1", "3D", "4D")),
    ("adaptive-pool-zero-output-ok", lambda lib: lib.nn.functional.adaptive_avg_pool2d(_input(lib, 1, 1, 4, 4), 0),
     None, None),
    ("adaptive-pool-ok", lambda lib: lib.nn.functional.adaptive_avg_pool2d(_input(lib, 1, 1, 5, 5), 3), None, None),
    ("batchnorm-features", _layer(lambda lib: lib.nn.BatchNorm1d(3), 4, 5), ("BatchNorm1d", "batch_norm"),
     ("3", "5")),
    ("batchnorm-one-sample-training", _layer(lambda lib: lib.nn.BatchNorm1d(3), 1, 3), ("BatchNorm1d", "batch_norm"),
     ("more than 1 value", "1")),
    ("batchnorm-one-sample-eval-ok", lambda lib: _fixed(lib, lib.nn.BatchNorm1d(3)).eval()(_input(lib, 1, 3)), None,
     None),
    ("batchnorm2d-3d-input", _layer(lambda lib: lib.nn.BatchNorm2d(3), 3, 4, 4), ("BatchNorm2d", "batch_norm"),
     ("4D", "3D", "(3, 4, 4)")),
    ("layernorm-shape", _layer(lambda lib: lib.nn.LayerNorm(4), 2, 3), ("LayerNorm", "layer_norm"), ("4", "3", "[4]")),
    ("groupnorm-indivisible", lambda lib: lib.nn.GroupNorm(3, 4), ("GroupNorm", "num_groups", "num_channels"),
     ("3", "4")),
    ("groupnorm-channels", _layer(lambda lib: lib.nn.GroupNorm(2, 4), 2, 6, 3), ("GroupNorm", "group_norm"),
     ("4", "6")),
    ("embedding-index-out-of-range", lambda lib: _fixed(lib, lib.nn.Embedding(4, 2))(lib.tensor([1, 4])),
     ("Embedding", "embedding"), ("4",)),
    ("embedding-negative-index", lambda lib: _fixed(lib, lib.nn.Embedding(4, 2))(lib.tensor([-1])),
     ("Embedding", "embedding"), ("-1",)),
    ("embedding-padding-idx-out-of-range", lambda lib: lib.nn.Embedding(4, 2, padding_idx=5),
     ("Embedding", "padding_idx"), ("5",)),
    ("embedding-padding-idx-negative-ok", lambda lib: lib.nn.Embedding(4, 2, padding_idx=-1).padding_idx, None, None),
    ("lstm-input-size", _layer(lambda lib: lib.nn.LSTM(3, 4, batch_first=True), 2, 5, 6), ("LSTM", "input"),
     ("3", "6")),
    ("lstm-4d-input", _layer(lambda lib: lib.nn.LSTM(3, 4), 2, 5, 3, 1), ("LSTM", "input"), ("4", "2D", "3D",
                                                                                             "(2, 5, 3, 1)")),
    ("lstm-hidden-shape", lambda lib: _fixed(lib, lib.nn.LSTM(3, 4))(_input(lib, 5, 2, 3),
                                                                     (lib.zeros(1, 3, 4), lib.zeros(1, 3, 4))),
     ("LSTM", "hidden"), ("(1, 3, 4)", "(1, 2, 4)", "[1, 3, 4]", "[1, 2, 4]")),
    ("lstm-unbatched-ok", _layer(lambda lib: lib.nn.LSTM(3, 4), 5, 3), None, None),
    ("gru-input-size", _layer(lambda lib: lib.nn.GRU(3, 4), 5, 2, 2), ("GRU", "input"), ("3", "2")),
    ("rnn-bad-nonlinearity", lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"), ("RNN", "nonlinearity"),
     ("sigmoid",)),
    ("lstm-dropout-one-layer", lambda lib: lib.nn.LSTM(3, 4, num_layers=1, dropout=0.5).dropout,
     ("LSTM", "dropout"), ("0.5", "num_layers")),
    ("lstm-proj-size-too-big", lambda lib: lib.nn.LSTM(3, 4, proj_size=4), ("LSTM", "proj_size"), ("4",)),
    ("dropout-p-above-one", lambda lib: lib.nn.Dropout(1.5), ("Dropout", "dropout"), ("1.5",)),
    ("dropout-p-negative", lambda lib: lib.nn.functional.dropout(_input(lib, 3), -0.1), ("dropout",), ("-0.1",)),
    ("dropout-p-one-ok", lambda lib: lib.nn.functional.dropout(_input(lib, 3), 1.0), None, None),
    ("flatten-dims", _layer(lambda lib: lib.nn.Flatten(2, 4), 2, 3), ("Flatten", "flatten"), ("2", "4")),
    ("unflatten-size", _layer(lambda lib: lib.nn.Unflatten(1, (2, 2)), 3, 6), ("Unflatten", "unflatten"),
     ("(2, 2)", "6", "4")),
    ("sequential-non-module", lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 2), "relu"), ("Sequential",
                                                                                          "add_module", "module"),
     ("str", "relu")),
    ("module-list-index", lambda lib: lib.nn.ModuleList([lib.nn.ReLU()])[3], ("ModuleList", "index"), ("3",)),
    ("module-dict-missing-key", lambda lib: lib.nn.ModuleDict({"a": lib.nn.ReLU()})["b"], ("ModuleDict", "key"),
     ("'b'",)),
    ("register-buffer-dotted", lambda lib: lib.nn.Module().register_buffer("a.b", lib.ones(1)),
     ("register_buffer", "buffer"), ("a.b", ".")),
    ("register-parameter-tensor", lambda lib: lib.nn.Module().register_parameter("w", lib.ones(1)),
     ("register_parameter", "parameter"), ("Tensor", "Parameter")),
    ("parameter-int", lambda lib: lib.nn.Parameter(lib.tensor([1, 2])), ("Parameter", "requires_grad"),
     ("int64", "Long", "floating")),
    ("linear-negative-features", lambda lib: lib.nn.Linear(-1, 2), ("Linear", "empty", "features"), ("-1",
                                                                                                      "negative")),
    ("pad-odd-length", lambda lib: lib.nn.functional.pad(_input(lib, 2, 3), (1, 1, 1)), ("pad",), ("3", "even",
                                                                                                   "divisible")),
    ("pad-too-long", lambda lib: lib.nn.functional.pad(_input(lib, 3), (1, 1, 1, 1)), ("pad",), ("4", "2", "1")),
    ("pad-reflect-too-large", lambda lib: lib.nn.functional.pad(_input(lib, 1, 1, 3), (3, 3), mode="reflect"),
     ("pad", "reflect"), ("3",)),
    ("pad-negative-ok", lambda lib: lib.nn.functional.pad(_input(lib, 2, 5), (-1, -1)), None, None),
    ("interpolate-size-and-scale", lambda lib: lib.nn.functional.interpolate(_input(lib, 1, 1, 4), size=8,
                                                                             scale_factor=2.0),
     ("interpolate",), ("size", "scale_factor")),
    ("interpolate-neither", lambda lib: lib.nn.functional.interpolate(_input(lib, 1, 1, 4)), ("interpolate",),
     ("size", "scale_factor")),
    ("interpolate-bad-mode", lambda lib: lib.nn.functional.interpolate(_input(lib, 1, 1, 4), size=8, mode="cubic"),
     ("interpolate", "mode"), ("cubic",)),
    ("interpolate-bilinear-3d", lambda lib: lib.nn.functional.interpolate(_input(lib, 1, 1, 4), size=8,
                                                                          mode="bilinear"),
     ("interpolate", "bilinear"), ("3D", "4D", "bilinear")),
    ("softmax-implicit-dim", lambda lib: lib.nn.functional.softmax(_input(lib, 2, 3)), ("softmax",), ("dim",)),
    ("conv-kernel-dilated-too-large", lambda lib: lib.nn.functional.conv2d(
        _input(lib, 1, 1, 4, 4), lib.ones(1, 1, 2, 2), dilation=4),
     ("conv2d", "kernel"), ("5", "4")),
    ("pixel-like-reshape-ok", _layer(lambda lib: lib.nn.Flatten(), 2, 3, 4), None, None),
    ("identity-extra-args-ok", lambda lib: lib.nn.Identity(3, foo=4)(_input(lib, 2)), None, None),
    ("cosine-similarity-shapes", lambda lib: lib.nn.functional.cosine_similarity(_input(lib, 2, 3),
                                                                                 _input(lib, 2, 4)),
     ("cosine_similarity", "broadcast"), ("3", "4")),
    ("normalize-zero-vector-ok", lambda lib: lib.nn.functional.normalize(lib.zeros(2, 3)), None, None),
]
# PyTorch's class for these is what an internal step happens to raise (an IndexError from a dimension
# wrapped past the input's rank), not a documented error of the op.
ACCIDENTAL = {"avgpool-1d-input": "IndexError 'Dimension out of range' from unpacking the shape"}
for name, program, op, values in LAYERS:
    CASES.append(Case(f"nn/{name}", program, op is not None, op or (), values or (),
                      loose_class=ACCIDENTAL.get(name, "")))


def _loss(name, input_shape, target, **kwargs):
    def program(lib):
        x = _input(lib, *input_shape)
        y = target(lib) if callable(target) else target
        return getattr(lib.nn.functional, name)(x, y, **kwargs)
    return program


LOSSES = [
    ("cross-entropy-target-out-of-range", _loss("cross_entropy", (2, 3), lambda lib: lib.tensor([0, 3])),
     ("cross_entropy", "nll_loss", "Target"), ("3",)),
    ("cross-entropy-target-negative", _loss("cross_entropy", (2, 3), lambda lib: lib.tensor([0, -2])),
     ("cross_entropy", "nll_loss", "Target"), ("-2",)),
    ("cross-entropy-batch-mismatch", _loss("cross_entropy", (2, 3), lambda lib: lib.tensor([0, 1, 2])),
     ("cross_entropy", "nll_loss"), ("2", "3")),
    ("cross-entropy-ignore-index-ok", _loss("cross_entropy", (2, 3), lambda lib: lib.tensor([0, -100])), None, None),
    ("cross-entropy-all-ignored-ok", _loss("cross_entropy", (2, 3), lambda lib: lib.tensor([-100, -100])), None, None),
    ("cross-entropy-probabilities-ok", _loss("cross_entropy", (2, 3), lambda lib: lib.softmax(_input(lib, 2, 3), 1)),
     None, None),
    ("cross-entropy-label-smoothing-bad", _loss("cross_entropy", (2, 3), lambda lib: lib.tensor([0, 1]),
                                                label_smoothing=1.5),
     ("cross_entropy", "label_smoothing"), ("1.5",)),
    ("cross-entropy-weight-size", _loss("cross_entropy", (2, 3), lambda lib: lib.tensor([0, 1]),
                                        weight=None), None, None),
    ("cross-entropy-bad-reduction", _loss("cross_entropy", (2, 3), lambda lib: lib.tensor([0, 1]),
                                          reduction="avg"), ("cross_entropy", "reduction"), ("avg",)),
    ("nll-loss-1d-input-ok", _loss("nll_loss", (3,), lambda lib: lib.tensor(1)), None, None),
    ("nll-loss-target-2d", _loss("nll_loss", (2, 3), lambda lib: lib.tensor([[0], [1]])), ("nll_loss",),
     ("(2, 1)", "[2, 1]", "2", "1")),
    ("mse-size-mismatch-broadcasts", _loss("mse_loss", (2, 3), lambda lib: lib.ones(3)), ("mse_loss",),
     ("(3,)", "(2, 3)", "[3]", "[2, 3]")),
    ("mse-non-broadcastable", _loss("mse_loss", (2, 3), lambda lib: lib.ones(4)), ("mse_loss",), ("3", "4")),
    ("l1-bad-reduction", _loss("l1_loss", (2, 3), lambda lib: lib.ones(2, 3), reduction="none2"), ("l1_loss",
                                                                                                   "reduction"),
     ("none2",)),
    ("bce-target-shape", _loss("binary_cross_entropy", (2, 3), lambda lib: lib.ones(3)), ("binary_cross_entropy",),
     ("(3,)", "(2, 3)", "[3]", "[2, 3]")),
    ("bce-input-above-one", lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0])),
     ("binary_cross_entropy",), ("1.5", "between 0 and 1", "[0, 1]")),
    ("bce-with-logits-shape", _loss("binary_cross_entropy_with_logits", (2, 3), lambda lib: lib.ones(2, 4)),
     ("binary_cross_entropy_with_logits",), ("(2, 4)", "(2, 3)", "[2, 4]", "[2, 3]")),
    ("kl-div-batchmean-ok", _loss("kl_div", (2, 3), lambda lib: lib.softmax(_input(lib, 2, 3), 1),
                                  reduction="batchmean"), None, None),
    ("huber-negative-delta", _loss("huber_loss", (2, 3), lambda lib: lib.ones(2, 3), delta=-1.0),
     ("huber_loss", "delta"), ("-1", "positive")),
    ("smooth-l1-negative-beta", _loss("smooth_l1_loss", (2, 3), lambda lib: lib.ones(2, 3), beta=-1.0),
     ("smooth_l1_loss", "beta"), ("-1", "negative")),
    ("l1-non-broadcastable", _loss("l1_loss", (2, 3), lambda lib: lib.ones(2, 2)), ("l1_loss",), ("(2, 2)", "(2, 3)")),
    ("ctc-like-nll-weight-size", _loss("nll_loss", (2, 3), lambda lib: lib.tensor([0, 1]), weight=None), None, None),
    ("cross-entropy-class-weights-size", lambda lib: lib.nn.functional.cross_entropy(
        _input(lib, 2, 3), lib.tensor([0, 1]), weight=lib.ones(4)), ("cross_entropy", "nll_loss", "weight"),
     ("4", "3")),
    ("cross-entropy-3d-ok", _loss("cross_entropy", (2, 3, 4), lambda lib: lib.zeros(2, 4, dtype=lib.int64)), None,
     None),
    ("cross-entropy-3d-target-shape", _loss("cross_entropy", (2, 3, 4), lambda lib: lib.zeros(2, 5,
                                                                                               dtype=lib.int64)),
     ("cross_entropy", "nll_loss"), ("(2, 5)", "(2, 4)", "[2, 5]", "[2, 4]", "5", "4")),
]
for name, program, op, values in LOSSES:
    CASES.append(Case(f"nn/{name}", program, op is not None, op or (), values or ()))

# Functional forms, module containers and state dicts.
def _x(lib):
    return lib.arange(6.0).reshape(2, 3)


def _linear_state(lib, **entries):
    return lib.nn.Linear(2, 2).load_state_dict(entries)


FUNCTIONAL = [
    ("linear-bias-size", lambda lib: lib.nn.functional.linear(_x(lib), lib.ones(4, 3), lib.ones(3)),
     ("linear", "add"), ("3", "4")),
    ("pad-too-many", lambda lib: lib.nn.functional.pad(_x(lib), (1, 1, 1, 1, 1, 1)), ("pad",), ("6", "2")),
    ("gelu-bad-approximate", lambda lib: lib.nn.functional.gelu(_x(lib), approximate="fast"), ("gelu",),
     ("fast",)),
    ("layer-norm-weight-shape", lambda lib: lib.nn.functional.layer_norm(_x(lib), (3,), lib.ones(2)),
     ("layer_norm",), ("[2]", "[3]")),
    ("layer-norm-bias-shape", lambda lib: lib.nn.functional.layer_norm(_x(lib), (3,), None, lib.ones(2)),
     ("layer_norm",), ("[2]", "[3]")),
    ("embedding-1d-weight", lambda lib: lib.nn.functional.embedding(lib.tensor([0]), lib.ones(3)), ("embedding",),
     ("2-D", "(3,)")),
    ("embedding-3d-weight", lambda lib: lib.nn.functional.embedding(lib.tensor([0]), lib.ones(3, 2, 2)),
     ("embedding",), ("2-D", "(3, 2, 2)")),
    ("kl-div-shapes", lambda lib: lib.nn.functional.kl_div(lib.ones(2, 3), lib.ones(3, 2), reduction="batchmean"),
     ("kl_div",), ("(2, 3)", "(3, 2)")),
    ("cosine-embedding-target-size", lambda lib: lib.nn.functional.cosine_embedding_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(3)), ("cosine_embedding",), ("(3,)", "(2,)")),
    ("log-softmax-of-int", lambda lib: lib.log_softmax(lib.ones(2, dtype=lib.int64), 0), ("log_softmax", "softmax"),
     ("Long", "int64")),
    ("max-pool-dilation-zero", lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 1, 4, 4), 2, dilation=0),
     ("max_pool2d", "dilation"), ("0",)),
    ("one-hot-float", lambda lib: lib.nn.functional.one_hot(lib.tensor([1.0])), ("one_hot",),
     ("float", "Float", "int64", "Long")),
    ("sequential-index-out-of-range", lambda lib: lib.nn.Sequential(lib.nn.ReLU())[3], ("Sequential", "index"),
     ("3",)),
    ("flatten-module-1d", lambda lib: lib.nn.Flatten()(lib.ones(3)), ("flatten", "Flatten"), ("1",)),
    ("softmax-module-implicit-dim", lambda lib: lib.nn.Softmax()(lib.ones(2, 2, 2)), ("softmax", "Softmax"),
     ("dim",)),
    ("interpolate-negative-scale", lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), scale_factor=-1.0),
     ("interpolate",), ("-4",)),
    ("interpolate-zero-size", lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4), size=(2, 0)),
     ("interpolate",), ("(2, 0)",)),
    ("module-to-string-dtype", lambda lib: lib.nn.Linear(2, 2).to("float32"), ("to",), ("float32",)),
    ("parameter-of-a-list", lambda lib: lib.nn.Parameter([1.0]), ("Parameter",), ("list",)),
    # PyTorch's words: "Error(s) in loading state_dict for Linear", then the keys.
    ("load-state-dict-missing-key", lambda lib: _linear_state(lib, weight=lib.ones(2, 2)), ("loading state_dict",),
     ("bias",)),
    ("load-state-dict-size", lambda lib: _linear_state(lib, weight=lib.ones(3, 2), bias=lib.ones(2)),
     ("loading state_dict",), ("weight",)),
    ("load-state-dict-unexpected-key", lambda lib: _linear_state(lib, weight=lib.ones(2, 2), bias=lib.ones(2),
                                                                  w2=lib.ones(1)), ("loading state_dict",), ("w2",)),
]
# PyTorch fails inside on data.detach(): an AttributeError no program catches on purpose.
ACCIDENTAL_FUNCTIONAL = {"parameter-of-a-list": "AttributeError ''list' object has no attribute 'detach''"}
for name, program, op, values in FUNCTIONAL:
    CASES.append(Case(f"nn/{name}", program, op is not None, op or (), values or (),
                      loose_class=ACCIDENTAL_FUNCTIONAL.get(name, "")))
