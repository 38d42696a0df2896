"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` / ``ModuleDict`` (registered collections of
modules) and ``ParameterList`` / ``ParameterDict`` (of parameters).

Sub-modules are registered under their index ("0", "1", ...) or key, which is what appears in
``state_dict`` keys (``"0.weight"``).
"""
from __future__ import annotations

import itertools
import operator
from collections import OrderedDict

from nnmath.nn.modules.module import Module, _add_indent
from nnmath.nn.parameter import Parameter
from nnmath.tensor import Tensor


def _index(container: Module, idx, kind: str) -> int:
    """A position in ``[0, len)`` from a possibly negative index, or a clear IndexError."""
    idx = operator.index(idx)
    size = len(container)
    if not -size <= idx < size:
        raise IndexError(f"{kind}: index {idx} is out of range (length {size})")
    return idx % size


class Sequential(Module):
    """y = fₙ(… f₂(f₁(x))): calls its modules in order, each on the previous one's output.

    Args:
        *args: modules, or one OrderedDict of name -> module

    Shape:
        input: whatever the first module takes; output: whatever the last one returns

    Example::

        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> model(nnmath.randn(3, 4)).shape
        nnmath.Size([3, 2])
        >>> list(model.state_dict())
        ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(self, idx, "Sequential")]

    def __setitem__(self, idx, module: Module) -> None:
        key = list(self._modules)[_index(self, idx, "Sequential")]
        setattr(self, key, module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(self, idx, "Sequential")]]):
            del self._modules[key]
        # Re-number so that indices stay 0..n-1, as PyTorch does.
        modules = list(self._modules.values())
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "Sequential":
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> "Sequential":
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)
        return self

    def __add__(self, other: "Sequential") -> "Sequential":
        return Sequential(*self, *other)


class ModuleList(Module):
    """A list of modules, registered so that their parameters belong to the owner.

    Args:
        modules: an iterable of modules (optional)

    Example::

        >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> len(list(layers.parameters()))
        6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_index(self, idx, "ModuleList"))]

    def __setitem__(self, idx, module: Module) -> None:
        self.add_module(str(_index(self, idx, "ModuleList")), module)

    def __delitem__(self, idx) -> None:
        modules = list(self._modules.values())
        del modules[idx if isinstance(idx, slice) else _index(self, idx, "ModuleList")]
        self._modules.clear()
        self.extend(modules)

    def __iadd__(self, modules) -> "ModuleList":
        return self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        self.extend(modules)

    def __repr__(self) -> str:
        """As PyTorch: a run of modules with the same repr prints once, as ``(0-5): 6 x Layer(...)``."""
        if not len(self):
            return self._get_name() + "()"
        lines, index = [], 0
        for text, run in itertools.groupby(repr(module) for module in self):
            count = len(list(run))
            label = f"({index})" if count == 1 else f"({index}-{index + count - 1}): {count} x"
            lines.append(_add_indent(f"{label}{':' if count == 1 else ''} {text}", 2))
            index += count
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys.

    Args:
        modules: a mapping or an iterable of (key, module) pairs (optional)

    Example::

        >>> heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "box": nn.Linear(8, 4)})
        >>> list(heads.keys())
        ['cls', 'box']
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r} (it holds {list(self._modules)})")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module


class ParameterList(Module):
    """A list of parameters, registered under their index (tensors are wrapped as Parameters).

    Args:
        values: an iterable of tensors or parameters (optional)

    Example::

        >>> params = nn.ParameterList([nn.Parameter(nnmath.zeros(2)) for _ in range(3)])
        >>> list(dict(params.named_parameters()))
        ['0', '1', '2']
    """

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(list(self._parameters.values())[idx])
        return self._parameters[str(_index(self, idx, "ParameterList"))]

    def __setitem__(self, idx, value) -> None:
        self.register_parameter(str(_index(self, idx, "ParameterList")), _as_parameter(value))

    def append(self, value) -> "ParameterList":
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values) -> "ParameterList":
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({i}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
                         for i, p in enumerate(self))


class ParameterDict(Module):
    """An ordered dict of parameters, registered under their keys (tensors are wrapped as Parameters).

    Args:
        parameters: a mapping or an iterable of (key, tensor) pairs (optional)

    Example::

        >>> params = nn.ParameterDict({"scale": nn.Parameter(nnmath.ones(1))})
        >>> list(params.keys())
        ['scale']
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters) -> None:
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
                         for k, p in self.items())


def _as_parameter(value) -> Parameter:
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"expected a Parameter or a Tensor, got {type(value).__name__}")
