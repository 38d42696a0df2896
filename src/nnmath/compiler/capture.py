"""One traced run of a function: every array a tensor holds becomes a traced array while it runs.

For the length of the run (one thread, one run at a time) two attributes of the core are read through
the tracer, with no change to the core's code:

- ``Tensor._data``: reading a tensor's array gives a :class:`~nnmath.compiler.tracer.Traced` for it.
  An array that a tensor held before the run (a parameter, a gradient, optimizer state, a buffer) is
  an *external*: the replay reads and writes that very array. Setting ``_data`` is watched too, to
  know the tensors the run made and which of them outlive it (a parameter's new ``.grad``).
- ``Generator._bits``: nnmath's generators hand out a recording stand-in for their MT19937 bit
  generator, so that random draws are replayed, fresh, from the same stream (a NumPy sampler built on
  the stream, ``Generator.numpy``, draws outside the record: it stops the trace, with the reason).

Afterwards every tensor holds a real array again (the run's results: it was an eager run), and the
:class:`Capture` says what the replay must bind and restore.
"""
from __future__ import annotations

import gc
import threading
import weakref

import numpy as np

from nnmath.compiler.tracer import RecordingRng, Trace, Traced
from nnmath.random import Generator
from nnmath.tensor import Tensor

_SLOT = Tensor.__dict__["_data"]    # the member descriptor of Tensor's ``_data`` slot
_NUMPY_PROPERTY = Generator.__dict__["numpy"]
_active = None                       # the Capture now recording
_lock = threading.Lock()


def active():
    """The capture now recording (None outside a trace)."""
    return _active


class _DataAccess:
    """``Tensor._data`` while a run is traced: arrays become traced arrays when read."""

    def __get__(self, tensor, owner=None):
        if tensor is None:
            return self
        value = _SLOT.__get__(tensor, owner)
        capture = _active
        if capture is not None and type(value) is np.ndarray and capture.owns_thread():
            value = capture.adopt(tensor, value)
        return value

    def __set__(self, tensor, value):
        capture = _active
        if capture is not None and capture.owns_thread():
            capture.note_set(tensor, value)
        _SLOT.__set__(tensor, value)


class _BitsAccess:
    """``Generator._bits`` while a run is traced: a recording stand-in for the MT19937 bit generator."""

    def __get__(self, generator, owner=None):
        if generator is None:
            return self
        bits = vars(generator)["_bits"]
        capture = _active
        if capture is not None and capture.owns_thread() and capture.trace.recording:
            return RecordingRng(capture.trace, generator, bits)
        return bits

    def __set__(self, generator, value):
        vars(generator)["_bits"] = value


class _NumpySamplerAccess:
    """``Generator.numpy`` while a run is traced: NumPy's samplers draw inside C, out of the record."""

    def __get__(self, generator, owner=None):
        if generator is None:
            return self
        capture = _active
        if capture is not None and capture.owns_thread() and capture.trace.recording:
            capture.trace.fail("a NumPy sampler drew from an nnmath generator (Generator.numpy)")
        return np.random.Generator(vars(generator)["_bits"])


class Capture:
    """The record of one traced run, and what the replay needs besides the trace.

    ``inputs``: the vid of each tensor argument's array; ``externals``: (tensor, array, vid) of every
    tensor that held an array before the run and whose array the run used; ``escapes``: (tensor, vid)
    of tensors that outlive the run holding a value it computed; ``grad_links``: (tensor, grad tensor)
    where the run gave a tensor a new ``.grad``; ``output``: the result's template."""

    def __init__(self):
        self.trace = Trace()
        self.thread = threading.get_ident()
        self.inputs = []
        self.externals = []
        self.escapes = []
        self.grad_links = []
        self.output = None
        self._traced = {}        # id(array) -> the Traced standing for it (one per array: identity holds)
        self._created = {}       # id(tensor) -> weakref, tensors made during the run
        self._holders = {}       # id(tensor) -> weakref, tensors given a traced array during the run
        self._replaced = []      # (tensor, original array): tensors whose array was swapped for a Traced
        self._input_ids = set()

    def owns_thread(self):
        return threading.get_ident() == self.thread

    # --- during the run -----------------------------------------------------------------------------
    def _traced_for(self, array, kind):
        traced = self._traced.get(id(array))
        if traced is None:
            traced = self.trace.wrap_plain(array, kind)
            self._traced[id(array)] = traced
        return traced

    def bind_input(self, tensor):
        """Make a tensor argument's array the next input of the trace."""
        array = _SLOT.__get__(tensor)
        if type(array) is not np.ndarray:
            return
        traced = self._traced_for(array, "input")
        if id(array) not in self._input_ids:
            self._input_ids.add(id(array))
            self.inputs.append(traced._vid)
        _SLOT.__set__(tensor, traced)
        self._replaced.append((tensor, array))

    def adopt(self, tensor, array):
        """The traced array for ``tensor``'s array, read for the first time in this run."""
        if not self.trace.recording:
            return array
        created = id(tensor) in self._created
        if created and id(array) not in self._traced:
            self._traced[id(array)] = self.trace.wrap_made(array)
        traced = self._traced_for(array, "const" if created else "external")
        _SLOT.__set__(tensor, traced)
        self._replaced.append((tensor, array))
        if not created and self.trace.storages[self.trace.values[traced._vid].sid].kind == "external":
            self.externals.append((tensor, array, traced._vid))
        return traced

    def note_set(self, tensor, value):
        try:
            _SLOT.__get__(tensor)
        except AttributeError:           # its first array: a tensor made during the run
            self._created[id(tensor)] = weakref.ref(tensor)
        if type(value) is Traced:
            self._holders[id(tensor)] = weakref.ref(tensor)

    # --- the run ------------------------------------------------------------------------------------
    def run(self, fn, args, kwargs, tensor_args):
        """Call ``fn`` with every array traced; returns its result (an eager run's result)."""
        global _active
        result = None
        with _lock:
            _active = self
            Tensor._data = _DataAccess()
            Generator._bits = _BitsAccess()
            Generator.numpy = _NumpySamplerAccess()
            try:
                for t in tensor_args:
                    self.bind_input(t)
                result = fn(*args, **kwargs)
                self.output = self._template(result)
            finally:
                Tensor._data = _SLOT
                del Generator._bits
                Generator.numpy = _NUMPY_PROPERTY
                _active = None
                self.trace.recording = False
                self._finish(result)
        return result

    def _template(self, obj):
        """The result as a template: Tensors and arrays by the value they hold."""
        if isinstance(obj, Tensor):
            data = _SLOT.__get__(obj)
            if type(data) is Traced:
                created = id(obj) in self._created
                return ("tensor", data._vid, None if created else obj)
            return ("same", obj)
        if type(obj) is Traced:
            return ("array", obj._vid)
        if isinstance(obj, (tuple, list)):
            return (type(obj), [self._template(o) for o in obj])
        if isinstance(obj, dict):
            return (dict, {k: self._template(v) for k, v in obj.items()})
        return ("const", obj)

    def _finish(self, result):
        """Give every tensor its real array back; find the tensors that outlive the run."""
        returned = {id(t) for t in tensors_in(result)}
        # Tensors the run made that only a reference cycle keeps would look as if they outlived it (a
        # harmless extra rebinding); collecting the young generations, where the run's objects are, is
        # enough and costs little where a full collection of a large heap would not.
        gc.collect(1)
        for tensor, array in self._replaced:
            data = _SLOT.__get__(tensor)
            if type(data) is Traced:
                if data._value is not array:
                    self.escapes.append((tensor, data._vid))
                _SLOT.__set__(tensor, data._value)
        for ref in self._holders.values():
            tensor = ref()
            if tensor is None:
                continue
            data = _SLOT.__get__(tensor)
            if type(data) is Traced:
                if id(tensor) not in returned:
                    self.escapes.append((tensor, data._vid))
                _SLOT.__set__(tensor, data._value)
        created = self._created
        for tensor, _, _ in self.externals:
            grad = vars(tensor).get("_grad")
            if grad is not None and id(grad) in created and created[id(grad)]() is grad:
                self.grad_links.append((tensor, grad))


    def gave_gradients(self, node):
        """Whether a backward pass of this run went through ``node``'s graph: it freed a node's saved
        values, or a leaf of the graph got a new ``.grad`` or had its ``.grad`` written."""
        written = {self.trace.values[w].sid for n in self.trace.nodes for w in n.writes}
        stack, seen = [node], set()
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if getattr(current, "_freed", False):    # a backward pass freed what it saved
                return True
            for edge in getattr(current, "_edges", ()):
                if edge is None:
                    continue
                if edge[1] is not None:
                    stack.append(edge[0])
                    continue
                grad = vars(edge[0]).get("_grad")
                if grad is None:
                    continue
                if id(grad) in self._created:
                    return True
                vid = self.trace.plain.get(id(_SLOT.__get__(grad)))
                if vid is not None and self.trace.values[vid].sid in written:
                    return True
        return False


def tensors_in(obj):
    """The tensors in a (nested) tuple, list or dict."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from tensors_in(o)
