"""``python -m nnmath``: the ``nnmath`` command, also as a module (``-m nnmath`` for launchers)."""
import sys

from nnmath.apps.cli import main

sys.exit(main())
