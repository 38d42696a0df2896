"""The layers of ``nnmath.nn``, one file per family as in PyTorch."""
from nnmath.nn.modules.activation import (CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,
                                          LogSigmoid, LogSoftmax, Mish, MultiheadAttention, ReLU, ReLU6, Sigmoid,
                                          SiLU, Softmax, Softmin, Softplus, Softsign, Tanh)
from nnmath.nn.modules.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from nnmath.nn.modules.dropout import AlphaDropout, Dropout
from nnmath.nn.modules.flatten import Flatten, Unflatten
from nnmath.nn.modules.linear import Bilinear, Identity, Linear, NonDynamicallyQuantizableLinear
from nnmath.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,
                                    HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from nnmath.nn.modules.module import Module
from nnmath.nn.modules.normalization import BatchNorm1d, LayerNorm, RMSNorm

__all__ = [
    "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Identity", "Linear", "Bilinear", "Flatten", "Unflatten",
    "ReLU", "LeakyReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Mish", "Sigmoid", "LogSigmoid", "Tanh",
    "Softplus", "Softsign", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "Softmax", "Softmin", "LogSoftmax",
    "Dropout", "AlphaDropout", "LayerNorm", "RMSNorm", "BatchNorm1d", "MultiheadAttention",
    "NonDynamicallyQuantizableLinear",
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
    "CrossEntropyLoss", "KLDivLoss", "GaussianNLLLoss", "CosineEmbeddingLoss",
]
from nnmath.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: E402
from nnmath.nn.modules.dropout import Dropout1d, Dropout2d  # noqa: E402
from nnmath.nn.modules.normalization import BatchNorm2d, GroupNorm  # noqa: E402
from nnmath.nn.modules.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,  # noqa: E402
                                       AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d)

__all__ += ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
            "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
            "BatchNorm2d", "GroupNorm", "Dropout1d", "Dropout2d"]
from nnmath.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: E402
from nnmath.nn.modules.sparse import Embedding  # noqa: E402

__all__ += ["Embedding", "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
from nnmath.nn.modules.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: E402
                                           TransformerEncoder, TransformerEncoderLayer)

__all__ += ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
            "TransformerDecoderLayer"]
