"""Optional dependencies: imported when a feature needs them, with an error that says what to install."""
from __future__ import annotations

import importlib


def require(module: str, extra: str, feature: str):
    """Import ``module`` or raise ImportError naming the nnmath extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{feature} needs the '{module.split('.')[0]}' package: "
                          f"pip install 'nnmath[{extra}]'") from error
