"""``nnmath.backends.cuda``: cuBLAS and attention-kernel switches, kept as set.

``matmul.allow_tf32 = True`` (the line most training scripts start with) lets PyTorch multiply float32
matrices in TensorFloat-32 on a GPU. nnmath multiplies with NumPy's BLAS in full float32, so the
switches change nothing; they start at PyTorch's defaults and read back as set. Like PyTorch's,
``matmul`` refuses an attribute it does not know, so a misspelt switch is an error.
"""


class _CuBLASSettings:
    """``backends.cuda.matmul``: PyTorch's cuBLAS switches (an unknown name is an AttributeError)."""

    __slots__ = ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction",
                 "allow_fp16_accumulation", "fp32_precision")

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True
        self.allow_fp16_accumulation = False
        self.fp32_precision = "none"


matmul = _CuBLASSettings()

# Which scaled-dot-product-attention kernels PyTorch may choose on a GPU; nnmath has the math one only.
_sdp_enabled = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def is_built() -> bool:
    """Whether this build supports CUDA: False."""
    return False


def is_flash_attention_available() -> bool:
    return False


def flash_sdp_enabled() -> bool:
    return _sdp_enabled["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    _sdp_enabled["flash"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp_enabled["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp_enabled["mem_efficient"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _sdp_enabled["math"]


def enable_math_sdp(enabled: bool) -> None:
    _sdp_enabled["math"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp_enabled["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _sdp_enabled["cudnn"] = bool(enabled)
