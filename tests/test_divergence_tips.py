"""Every tip the Train page gives after a run that diverged or did not learn is trained for real and learns."""

from __future__ import annotations

import pytest

from core.learn.config import TrainConfig
from core.learn.metrics import CHANCE  # what the Train page calls "did not learn"
from tests.conftest import train_run
from ui.train_form import divergence_tips

WILD = [  # settings students reach with the wildest sliders
    TrainConfig(arch="mlp:32", loss="ce", optimizer="sgd", lr=10.0),
    TrainConfig(arch="mlp:32", loss="mse", optimizer="momentum", lr=10.0, batch_size=10),
    TrainConfig(arch="mlp:32", loss="hinge", optimizer="sgd", lr=10.0),
    TrainConfig(arch="mlp:32", loss="ce", optimizer="adam", lr=1.0),
]


def short(config: TrainConfig) -> TrainConfig:
    return config.replace(epochs=1, device="cpu", eval_subset=500)


@pytest.mark.parametrize("wild", WILD, ids=lambda c: f"{c.loss}-{c.optimizer}-lr{c.lr:g}")
def test_each_tip_turns_a_failed_run_into_one_that_learns(wild, small_mnist):
    failed = train_run(short(wild), small_mnist)
    assert failed.status == "diverged" or failed.test_acc < CHANCE  # the situation the tips are for
    for key, _, changes in divergence_tips(wild):
        run = train_run(short(wild.replace(**changes)), small_mnist)
        # learning, not guessing: five times chance after one short epoch (MSE learns the slowest, ~57%)
        assert run.status != "diverged" and run.test_acc > 0.5, (key, changes, run.test_acc)
