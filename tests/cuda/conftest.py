import pytest

from device_under_test import device_module


@pytest.fixture
def on_standin():
    """Device ``cuda`` backed by the strict CuPy stand-in (see ``device_under_test.py``)."""
    with device_module() as module:
        yield module
