"""Issue 19: the convolutional nets' faster training step changes no number."""

from __future__ import annotations

import pytest
import torch

from core.learn import training
from core.learn.config import TrainConfig


def _weights_and_curve(config: TrainConfig, data) -> tuple[dict, list]:
    events = list(training.train(config, data))
    curve = [(e["kind"], e.get("loss"), e.get("test_acc")) for e in events if e["kind"] in ("step", "eval")]
    return events[-1]["model"].state_dict(), curve


@pytest.mark.parametrize("arch", ["cnn", "lenet5"])
def test_pooling_before_relu_trains_bit_for_bit_as_the_model_itself(small_mnist, monkeypatch, arch):
    config = TrainConfig(arch=arch, lr=1e-2, batch_size=64, epochs=1, train_subset=640, eval_subset=200,
                         evals_per_epoch=2, device="cpu", seed=3)
    fast_weights, fast_curve = _weights_and_curve(config, small_mnist)
    monkeypatch.setattr(training, "pool_before_relu", lambda model: model)  # the plain model(x)
    plain_weights, plain_curve = _weights_and_curve(config, small_mnist)
    assert fast_curve == plain_curve and len(fast_curve) == 2 + 10 + 2  # untrained (quick, full), 10 steps, 2
    assert fast_weights.keys() == plain_weights.keys()
    assert all(torch.equal(fast_weights[k], plain_weights[k]) for k in plain_weights)
    assert fast_curve[-1][2] > 0.5  # it learned something: the comparison is not between two untrained nets


def test_pooling_before_relu_reorders_only_relu_then_max_pooling():
    from core.learn.families.nets import build_model

    cnn = build_model("cnn")
    fast = training.pool_before_relu(cnn)
    x = torch.randn(5, 1, 28, 28)
    assert fast is not cnn and torch.equal(fast(x), cnn(x))
    mlp = build_model("mlp:16")
    assert training.pool_before_relu(mlp) is mlp  # nothing to reorder: the model's own forward
