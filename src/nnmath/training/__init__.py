"""``nnmath.training``: what a training loop needs around the model: checkpoints for exact resume."""
from nnmath.training.checkpoint import load_checkpoint, save_checkpoint

__all__ = ["save_checkpoint", "load_checkpoint"]
