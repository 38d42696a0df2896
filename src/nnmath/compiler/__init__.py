"""Compiling nnmath programs: ``nnmath.compile`` traces a function's NumPy work once per input
signature and replays it as a flat schedule of NumPy calls on preallocated buffers.

- :mod:`~nnmath.compiler.tracer`: the traced array and the record (the trace) it writes into;
- :mod:`~nnmath.compiler.capture`: one traced run (tensors' arrays and random generators traced);
- :mod:`~nnmath.compiler.schedule`: dead code, buffers, hoisted views, the generated replay;
- :mod:`~nnmath.compiler.api`: ``compile``, the cache of signatures, guards and eager fallback.

See docs/compile.md.
"""
from nnmath.compiler.api import CompiledFunction, OptimizedModule, compile, is_compiling, reset
from nnmath.compiler.schedule import GuardFailed

__all__ = ["compile", "reset", "is_compiling", "CompiledFunction", "OptimizedModule", "GuardFailed"]
