"""The code in README.md and docs/*.md runs and its assertions hold (docs cannot drift from the code)."""
import pathlib
import re
import warnings

import pytest

ROOT = pathlib.Path(__file__).parent.parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCKS = [(path.name, i, code) for path in PAGES
          for i, code in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S))]


@pytest.mark.parametrize("name,i,code", BLOCKS, ids=[f"{n}-{i}" for n, i, _ in BLOCKS])
def test_doc_code_runs(name, i, code):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        exec(compile(code, f"{name}[{i}]", "exec"), {"__name__": "__doc_example__"})
