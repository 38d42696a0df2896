"""The two lists the bad-input suite consults before it fails a case.

``DELIBERATE``: differences from PyTorch that nnmath keeps on purpose, each with its reason. All of them
are stricter checks: a program PyTorch runs (usually to a wrong or meaningless result) that nnmath
refuses with a clear error. They are the table "What nnmath checks that PyTorch does not" of
``docs/bad_input.md``. An entry whose case stops differing fails the suite (remove the entry).

``PENDING``: failures that another branch owns, kept apart so that the lead can empty the list after
merging it. Each entry names the owner and the fix. An entry whose case passes fails the suite with
"remove it from PENDING"; an entry here is not a deliberate difference.
"""
from __future__ import annotations

#: case id -> why nnmath refuses what PyTorch runs.
DELIBERATE = {
    # nnmath.load verifies the SHA-256 of every tensor's bytes, written by nnmath.save: a flipped bit on
    # disk is an error naming the tensor, where torch.load returns the changed number silently.
    "serialization/load-corrupted-payload":
        "the checksum on load: a corrupted tensor is refused, naming the tensor, instead of loading wrong numbers",
    # PyTorch reads x[..., 0, ...] as if one ellipsis were there; NumPy and nnmath refuse the ambiguity.
    "indexing/two-ellipses":
        "an index with two ellipses is ambiguous and refused (PyTorch silently uses one)",
    # take_along_dim does not bounds-check its indices in PyTorch 2.13 on the CPU: index 5 of a row of 4
    # reads the next row's element. nnmath checks them as gather does.
    "indexing/take-along-dim-out-of-range":
        "indices out of range are refused (PyTorch reads past the row without a check)",
    # random_split([12, -2]) on 10 samples gives PyTorch subsets of 10 and 0 samples: the lengths asked
    # for are not the lengths returned.
    "data/random-split-negative":
        "negative lengths are refused (PyTorch returns subsets of other lengths than asked for)",
}

#: case id -> "owner: the fix", for failures whose code another branch is changing.
PENDING: dict = {}
