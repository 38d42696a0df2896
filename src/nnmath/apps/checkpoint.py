"""Checkpoints for exact resume: a run stopped after epoch k and resumed from its checkpoint ends with
the same parameters, bit for bit, as a run that never stopped.

That needs everything the remaining epochs read: the model's parameters and buffers, the optimizer's
state (moments, step counts), the scheduler's position, and every random stream the training loop
draws from: nnmath's global generator (initialisation, dropout, shuffling without a generator), NumPy's
global ``RandomState`` (augmentation code often uses ``np.random``), Python's ``random``, and the
DataLoader's own shuffling generator when it has one. The checkpoint is one :func:`nnmath.save` file,
written atomically, so a crash while saving leaves the previous checkpoint intact.

Resume at an epoch boundary: a DataLoader's position inside an epoch is not saved.
"""
from __future__ import annotations

import copy
import random

import numpy as np

import nnmath
from nnmath.serialization import FileFormatError

__all__ = ["load_checkpoint", "resume_from", "save_checkpoint"]

_FORMAT = "nnmath.checkpoint/1"


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch: int | None = None, extra=None,
                    dataloader=None) -> None:
    """Save everything needed to resume training exactly after ``epoch``.

    Args:
        path: the checkpoint file (replaced atomically).
        model: an ``nn.Module``; optimizer, scheduler: their ``state_dict()`` is saved when given.
        epoch: the number of epochs completed.
        extra: anything else :func:`nnmath.save` can store (best loss, a config dict, ...).
        dataloader: a ``DataLoader`` whose shuffling generator should be saved.
    """
    checkpoint = {
        "format": _FORMAT,
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "epoch": epoch,
        "extra": extra,
        "rng": _rng_states(dataloader),
    }
    nnmath.save(checkpoint, path)


def load_checkpoint(path, model, optimizer=None, scheduler=None, dataloader=None,
                    restore_rng: bool = True) -> dict:
    """Restore a :func:`save_checkpoint` file into ``model`` (and the optimizer, scheduler, random
    streams and dataloader generator given), all or nothing: if any part does not fit, nothing is
    changed and the error says which part.

    Returns ``{"epoch": ..., "extra": ...}`` as saved.
    """
    checkpoint = nnmath.load(path)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != _FORMAT:
        raise FileFormatError(f"load_checkpoint: {str(path)!r} is not an nnmath checkpoint (it was not written "
                              "by save_checkpoint); load plain state_dicts with nnmath.load")
    for part, target in (("optimizer", optimizer), ("scheduler", scheduler)):
        if target is not None and checkpoint[part] is None:
            raise ValueError(f"load_checkpoint: {str(path)!r} has no {part} state, but a {part} was given")
    generator = _dataloader_generator(dataloader)
    if generator is not None and checkpoint["rng"]["dataloader"] is None:
        raise ValueError(f"load_checkpoint: {str(path)!r} has no dataloader generator state, but the "
                         "dataloader given shuffles with its own generator")

    restorers = [(model, checkpoint["model"])]
    if optimizer is not None:
        restorers.append((optimizer, checkpoint["optimizer"]))
    if scheduler is not None:
        restorers.append((scheduler, checkpoint["scheduler"]))
    previous = [copy.deepcopy(target.state_dict()) for target, _ in restorers]
    try:
        for target, state in restorers:
            target.load_state_dict(state)
    except Exception:
        for (target, _), state in zip(restorers, previous):
            target.load_state_dict(state)
        raise
    if restore_rng:
        _set_rng_states(checkpoint["rng"], generator)
    return {"epoch": checkpoint["epoch"], "extra": checkpoint["extra"]}


def resume_from(path, epochs: int, model, optimizer=None, **kwargs) -> int:
    """Restore the checkpoint ``path`` to train on up to ``epochs``; returns the epochs it holds.

    A checkpoint that already holds ``epochs`` epochs or more is refused (ValueError): nothing would be
    trained, and the run would replace its outputs with the same weights. ``kwargs`` go to
    :func:`load_checkpoint`."""
    done = load_checkpoint(path, model, optimizer, **kwargs)["epoch"]
    if done >= epochs:
        raise ValueError(f"nothing to train: the checkpoint {str(path)!r} already holds {done} epoch(s), and "
                         f"{epochs} were asked for (ask for more than {done} epochs)")
    return done


def _dataloader_generator(dataloader):
    """The generator a DataLoader shuffles with: its own, or its sampler's (None: the global one)."""
    if dataloader is None:
        return None
    return dataloader.generator or getattr(dataloader.sampler, "generator", None)


def _rng_states(dataloader) -> dict:
    generator = _dataloader_generator(dataloader)
    return {
        "nnmath": nnmath.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "dataloader": None if generator is None else generator.get_state(),
    }


def _set_rng_states(states: dict, generator) -> None:
    nnmath.set_rng_state(states["nnmath"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    if generator is not None:
        generator.set_state(states["dataloader"])
