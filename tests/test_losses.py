"""Losses against PyTorch's own, and the multiclass hinge on the well-known worked example."""

import pytest
import torch
import torch.nn.functional as F

from core.learn.families.nets import build_model
from core.learn.losses import compute_loss, cross_entropy, l2_penalty, mse_one_hot, multiclass_hinge


def test_hinge_worked_example():
    scores = torch.tensor([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    per_example = [float(multiclass_hinge(scores[i:i + 1], torch.tensor([i]))) for i in range(3)]
    assert per_example == pytest.approx([2.9, 0.0, 12.9])  # not 10.9: that is an arithmetic slip
    assert float(multiclass_hinge(scores, torch.tensor([0, 1, 2]))) == pytest.approx((2.9 + 0 + 12.9) / 3)


def test_hinge_equals_torch_multi_margin_times_classes():
    g = torch.Generator().manual_seed(0)
    scores, labels = torch.randn(64, 10, generator=g), torch.randint(0, 10, (64,), generator=g)
    assert torch.allclose(multiclass_hinge(scores, labels), F.multi_margin_loss(scores, labels) * 10)


def test_cross_entropy_and_mse_match_torch():
    g = torch.Generator().manual_seed(1)
    scores, labels = torch.randn(32, 10, generator=g), torch.randint(0, 10, (32,), generator=g)
    assert torch.allclose(cross_entropy(scores, labels), torch.nn.CrossEntropyLoss()(scores, labels))
    one_hot = torch.zeros(32, 10).scatter(1, labels[:, None], 1.0)
    assert torch.allclose(mse_one_hot(scores, labels), torch.nn.MSELoss()(scores, one_hot))


def test_l2_penalises_weights_not_biases():
    model = build_model("linear")
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(2.0)
    assert float(l2_penalty(model).detach()) == pytest.approx(0.5 * 4.0 * 7840)
    scores, labels = torch.zeros(4, 10), torch.zeros(4, dtype=torch.long)
    plain = compute_loss("ce", scores, labels)
    with_l2 = compute_loss("ce", scores, labels, model, l2=1e-3).detach()
    assert float(with_l2) == pytest.approx(float(plain) + 1e-3 * 15680)


def test_gradients_flow_through_every_loss():
    model = build_model("mlp:8")
    x, y = torch.randn(6, 1, 28, 28), torch.tensor([0, 1, 2, 3, 4, 5])
    for name in ("ce", "mse", "hinge"):
        model.zero_grad()
        compute_loss(name, model(x), y, model, l2=1e-4).backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_label_smoothing_is_cross_entropy_against_a_softened_target_in_training_only():
    g = torch.Generator().manual_seed(2)
    scores, labels = torch.randn(16, 10, generator=g), torch.randint(0, 10, (16,), generator=g)
    target = torch.full((16, 10), 0.1 / 10).scatter(1, labels[:, None], 1 - 0.1 + 0.1 / 10)
    by_hand = -(target * F.log_softmax(scores, dim=1)).sum(dim=1).mean()
    assert torch.allclose(compute_loss("ce", scores, labels, label_smoothing=0.1), by_hand)
    assert torch.equal(compute_loss("ce", scores, labels), cross_entropy(scores, labels))
    assert torch.equal(compute_loss("mse", scores, labels, label_smoothing=0.1), mse_one_hot(scores, labels))
