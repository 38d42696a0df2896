"""``nnmath.optim``: optimizers over leaf tensors, and learning-rate schedulers (``nnmath.optim.lr_scheduler``),
with PyTorch's names, defaults and ``state_dict`` formats."""
from nnmath.optim import lr_scheduler
from nnmath.optim.adadelta import Adadelta
from nnmath.optim.adagrad import Adagrad
from nnmath.optim.adam import Adam
from nnmath.optim.adamax import Adamax
from nnmath.optim.adamw import AdamW
from nnmath.optim.asgd import ASGD
from nnmath.optim.lbfgs import LBFGS
from nnmath.optim.nadam import NAdam
from nnmath.optim.optimizer import Optimizer
from nnmath.optim.radam import RAdam
from nnmath.optim.rmsprop import RMSprop
from nnmath.optim.rprop import Rprop
from nnmath.optim.sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "LBFGS", "NAdam", "Optimizer", "RAdam",
           "RMSprop", "Rprop", "SGD", "lr_scheduler"]
