"""The step-time model of docs/distributed.md: data-parallel training on N machines, computation
overlapped with a ring all-reduce that costs α + β·bytes per message.

    python benchmarks/distributed_model.py            # the tables of docs/distributed.md

For N machines, one process each, and a global batch of B samples (B/N per machine):

    T_step(N) = T_opt + (T_fwd + T_bwd)·(B/N)/B + exposed(N)
    T_ar(s)   = 2(N−1)·α + 2(N−1)/N · s · β             (ring all-reduce of s bytes)

Forward and backward scale with the per-machine batch, the optimizer step does not. Bucket k (s_k
bytes) is complete at a fraction f_k of the backward pass; the network carries one bucket at a time,
so bucket k is reduced by e_k = max(f_k·T_bwd, e_{k−1}) + T_ar(s_k), and what backward does not hide
is exposed(N) = max(0, e_last − T_bwd). With no overlap at all (MPI moving no data while Python
computes), exposed(N) = Σ_k T_ar(s_k): the two bound the real step. The network, not the CPU, limits
once exposed(N) is a large share of the step: more machines then shorten the computation but not the
step, and the samples per second stop growing.
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Case:
    """A model's step on one machine at the global batch: forward, backward and optimizer seconds,
    and DDP's buckets (bytes, in the order reduced) with the fraction of backward at which each is
    complete (benchmarks/distributed.py reports all of them)."""
    name: str
    global_batch: int
    forward: float
    backward: float
    optimizer: float
    buckets: list
    ready: list
    unit: str = "samples"      # what the throughput counts ...
    per_sample: int = 1        # ... and how many of them one sample holds


@dataclasses.dataclass
class Network:
    name: str
    alpha: float               # seconds per message
    beta: float                # seconds per byte


def ring_allreduce(nbytes, n, network):
    if n == 1:
        return 0.0
    return 2 * (n - 1) * network.alpha + 2 * (n - 1) / n * nbytes * network.beta


def step_time(case, n, network, overlap=True):
    """(step seconds, exposed communication seconds) on n machines."""
    forward, backward = case.forward / n, case.backward / n
    if overlap:
        end = 0.0
        for nbytes, fraction in zip(case.buckets, case.ready):
            end = max(fraction * backward, end) + ring_allreduce(nbytes, n, network)
        exposed = max(0.0, end - backward)
    else:
        exposed = sum(ring_allreduce(nbytes, n, network) for nbytes in case.buckets)
    return forward + backward + case.optimizer + exposed, exposed


def markdown_table(case, networks, machines=(1, 2, 4, 8, 16, 32)):
    """Samples per second on N machines, the share of the step that is exposed communication, and
    (in brackets) samples per second without any overlap."""
    lines = [f"**{case.name}**, global batch {case.global_batch}: {case.unit}/s (exposed share) [no overlap]", "",
             "| network | " + " | ".join(f"N = {n}" for n in machines) + " |",
             "|---|" + "---:|" * len(machines)]
    for network in networks:
        cells = []
        for n in machines:
            step, exposed = step_time(case, n, network)
            worst, _ = step_time(case, n, network, overlap=False)
            amount = case.global_batch * case.per_sample
            cells.append(f"{amount / step:,.0f} ({exposed / step:.0%}) [{amount / worst:,.0f}]")
        lines.append(f"| {network.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


NETWORKS = [
    Network("1 Gb/s Ethernet (α 50 µs, 125 MB/s)", alpha=50e-6, beta=8e-9),
    Network("10 Gb/s Ethernet (α 20 µs, 1.25 GB/s)", alpha=20e-6, beta=0.8e-9),
    Network("100 Gb/s InfiniBand (α 2 µs, 12.5 GB/s)", alpha=2e-6, beta=0.08e-9),
]

# Machines like this one, quiet (2 cores, one process with 2 BLAS threads). Seed CNN: the step of
# docs/performance.md (100.6 ms at batch 64) split in the shares measured by benchmarks/distributed.py
# (forward 33 %, backward 62 %, Adam 5 %); buckets after DDP's rebuild, as measured: fc1 + fc2
# complete 10 % into backward, the convolutions at 83 %.
SEED_CNN = Case("seed CNN, 1.2 M parameters (4.8 MB of gradients)", global_batch=64,
                forward=0.033, backward=0.0625, optimizer=0.005, buckets=[4_723_752, 75_776], ready=[0.10, 0.83])

# A GPT of nanoGPT's Shakespeare-character size (6 layers, width 384, 6 heads, context 256: 10.7 M
# parameters, 42.6 MB of gradients), batch 64 sequences (16,384 tokens). Training costs about
# 3 × (2·10.6 M + 2·6·256·384) = 67 MFLOP per token, 1.1 TFLOP per step; at 57 GFLOP/s (half the
# 1024² matmul rate of docs/performance.md) that is 19.3 s, split as measured on the small GPT of
# benchmarks/distributed.py (forward 49 %, backward 51 %); Adam at the seed CNN's 4 ns per parameter.
# Buckets: the first (1 MiB) is
# complete about 3 % into backward, the second (25 MiB, the last ~59 % of the layers) at 62 %, the
# rest (16.6 MB) at the end: backward runs through the layers at a steady rate.
GPT = Case("GPT, 10.7 M parameters (42.6 MB of gradients), estimated compute", global_batch=64,
           forward=9.46, backward=9.84, optimizer=0.045, buckets=[1_048_576, 26_214_400, 15_337_000],
           ready=[0.03, 0.62, 1.0], unit="tokens", per_sample=256)


def main():
    for case in (SEED_CNN, GPT):
        print(markdown_table(case, NETWORKS))
        print()


if __name__ == "__main__":
    main()
