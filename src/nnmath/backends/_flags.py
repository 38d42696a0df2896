"""The ``flags(...)`` context managers of ``backends.cudnn`` and ``backends.mkldnn``."""
import contextlib


@contextlib.contextmanager
def temporarily(module, **values):
    """Set the module's switches to ``values`` for the duration of a ``with`` block, then restore them."""
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)
