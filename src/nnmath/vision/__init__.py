"""``nnmath.vision``: image datasets (MNIST, Fashion-MNIST), transforms and image utilities, with
torchvision's names (``from nnmath.vision import datasets, transforms``)."""
from nnmath.vision import datasets, transforms, utils  # noqa: F401
from nnmath.vision.utils import make_grid, save_image  # noqa: F401
