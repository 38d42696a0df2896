"""Write the seed programs with only their import lines changed from PyTorch to nnmath.

    python examples/seed_programs/swap_imports.py ../shared/seed_programs examples/seed_programs

The table is the one in shared/seed_programs/README.md; every other line is left as it is.
A test checks that the committed copies are exactly what this produces.
"""
from __future__ import annotations

import pathlib
import sys

IMPORTS = {
    "import torch": "import nnmath as torch",
    "import torch.nn as nn": "import nnmath.nn as nn",
    "import torch.nn.functional as F": "import nnmath.nn.functional as F",
    "import torch.optim as optim": "import nnmath.optim as optim",
    "from torchvision import datasets, transforms": "from nnmath.vision import datasets, transforms",
}
#: seed002_cnn_net.py calls torch.flatten without importing torch (see the seeds' README).
EXTRA_IMPORT = {"seed002_cnn_net.py": "import nnmath as torch"}


def swap(source: str, name: str) -> str:
    lines = [IMPORTS.get(line.rstrip(), line) for line in source.split("\n")]
    if name in EXTRA_IMPORT:
        lines.insert(0, EXTRA_IMPORT[name])
    return "\n".join(lines)


def main(src_dir, dst_dir):
    for path in sorted(pathlib.Path(src_dir).glob("seed*_*.py")):
        if "numpy" in path.name:
            continue
        (pathlib.Path(dst_dir) / path.name).write_text(swap(path.read_text(), path.name))


if __name__ == "__main__":
    main(*sys.argv[1:3])
