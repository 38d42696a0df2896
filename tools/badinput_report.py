"""Run the differential bad-input suite (tests/badinput/) and write docs/bad_input.md from its results.

    python tools/badinput_report.py            # writes the page (needs PyTorch, the reference)
    python tools/badinput_report.py --check    # exit 1 if the page is out of date

Prints the counts per category and every case that fails (silent, wrong, refused outside the lists;
vague), with nnmath's and PyTorch's outcomes.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "badinput"), str(ROOT / "tests")]

from differential import counts  # noqa: E402  (the suite lives in tests/badinput, put on the path above)
from report import render  # noqa: E402
from suite import DELIBERATE, FAILING, PENDING, results, torch_module  # noqa: E402

PAGE = ROOT / "docs" / "bad_input.md"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the page is up to date")
    args = parser.parse_args(argv)
    if torch_module() is None:
        print("PyTorch is not importable: the page compares with PyTorch and is not regenerated")
        return 0
    found = results()
    text = render(found)
    stale = PAGE.read_text() != text if PAGE.exists() else True
    if not args.check:
        PAGE.write_text(text)
    print(counts(found), f"({len(found)} cases)")
    for r in found:
        listed = r.case.id in DELIBERATE or r.case.id in PENDING
        if r.category == "vague" or (r.category in FAILING and not listed):
            print(r.describe())
    if args.check and stale:
        print(f"{PAGE} is out of date: run python tools/badinput_report.py")
        return 1
    print(f"{PAGE} {'was out of date: rewritten' if stale else 'is up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
