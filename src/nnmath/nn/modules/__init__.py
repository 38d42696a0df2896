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
from nnmath.nn.modules.sparse import Embedding, EmbeddingBag  # noqa: E402

__all__ += ["Embedding", "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
from nnmath.nn.modules.activation import (GLU, Hardshrink, PReLU, RReLU, Softmax2d, Softshrink,  # noqa: E402
                                          Tanhshrink, Threshold)
from nnmath.nn.modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: E402
from nnmath.nn.modules.normalization import BatchNorm3d  # noqa: E402
from nnmath.nn.modules.padding import *  # noqa: E402,F401,F403
from nnmath.nn.modules.padding import __all__ as _padding
from nnmath.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: E402

__all__ += ["EmbeddingBag", "Threshold", "Hardshrink", "Softshrink", "Tanhshrink", "GLU", "PReLU", "RReLU",
            "Softmax2d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "BatchNorm3d", "PixelShuffle",
            "PixelUnshuffle"] + _padding
from nnmath.nn.modules.distance import CosineSimilarity, PairwiseDistance  # noqa: E402
from nnmath.nn.modules.dropout import Dropout3d  # noqa: E402
from nnmath.nn.modules.loss import (HingeEmbeddingLoss, MarginRankingLoss, MultiLabelSoftMarginLoss,  # noqa: E402
                                    PoissonNLLLoss, SoftMarginLoss, TripletMarginLoss)
from nnmath.nn.modules.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402

__all__ += ["CosineSimilarity", "PairwiseDistance", "Dropout3d", "HingeEmbeddingLoss", "MarginRankingLoss",
            "MultiLabelSoftMarginLoss", "PoissonNLLLoss", "SoftMarginLoss", "TripletMarginLoss", "Upsample",
            "UpsamplingBilinear2d", "UpsamplingNearest2d"]
from nnmath.nn.modules.lazy import *  # noqa: E402,F401,F403
from nnmath.nn.modules.lazy import __all__ as _lazy

__all__ += _lazy
from nnmath.nn.modules.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: E402
                                           TransformerEncoder, TransformerEncoderLayer)

__all__ += ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
            "TransformerDecoderLayer"]
