"""Architecture specs as text, torch-free: "mlp:128,64" -> ("mlp", [128, 64]), and what a fully connected chain
weighs. Shared by core.learn.config (which checks a spec before anything heavy is imported) and the families
(which build it)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise


def split_spec(spec: str) -> tuple[str, list[int] | None]:
    """("mlp", [128, 64]) for "mlp:128,64", ("cnn", []) for "cnn"; widths None when they are not integers.
    Says nothing of whether the kind exists (core.learn.config.parse_arch does)."""
    head, _, rest = spec.strip().partition(":")
    try:
        return head, [int(w) for w in rest.split(",")] if rest else []
    except ValueError:
        return head, None


def dense_parameters(sizes: Sequence[int]) -> int:
    """Weights and biases of fully connected layers with these sizes ([784, 128, 10]: 784*128 + 128 + 128*10 + 10)."""
    return sum(n_in * n_out + n_out for n_in, n_out in pairwise(sizes))


def chain_parameters(widths: list[int]) -> int:
    """Weights and biases of a fully connected chain 784 -> widths -> 10 (a linear model: no widths)."""
    return dense_parameters([28 * 28, *widths, 10])
