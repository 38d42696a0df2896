"""``RemovableHandle``: what every ``register_*hook`` returns (tensors, autograd nodes, modules)."""
from __future__ import annotations

import itertools


class RemovableHandle:
    """Registers ``hook`` in the dict ``hooks`` under a fresh id; ``remove()`` (or leaving a ``with``
    block) unregisters it. A dict keeps hooks in registration order and lets one be removed by id."""

    _ids = itertools.count()

    def __init__(self, hooks: dict, hook=None):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)
        if hook is not None:
            hooks[self.id] = hook

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
