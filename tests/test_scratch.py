"""ScratchNet: hand-written backprop checked against torch autograd (micrograd style), then MNIST training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.learn.data import MEAN, STD
from core.learn.families.scratch import ScratchNet, to_unit_pixels


def _torch_loss(net: ScratchNet, x01: np.ndarray, labels: np.ndarray):
    """The same forward pass and quadratic cost, written with torch ops so autograd does the backprop."""
    params = {name: torch.tensor(value, requires_grad=True) for name, value in net.params.items()}
    x = torch.tensor(x01)
    a1 = torch.sigmoid(x @ params["w1"] + params["b1"])
    a2 = torch.sigmoid(a1 @ params["w2"] + params["b2"])
    y = torch.nn.functional.one_hot(torch.tensor(labels), 10).double()
    loss = 0.5 * ((a2 - y) ** 2).sum(dim=1).mean()
    loss.backward()
    return loss, a2, params


@pytest.mark.parametrize("hidden,batch,seed", [(30, 16, 0), (7, 1, 1), (64, 50, 2)])
def test_gradients_match_autograd(hidden, batch, seed):
    net = ScratchNet(hidden=hidden, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(100 + seed)
    x01 = rng.random((batch, 784))
    labels = rng.integers(0, 10, batch)

    loss, grads = net.loss_and_gradients(x01, labels)
    torch_loss, torch_out, params = _torch_loss(net, x01, labels)

    assert loss == pytest.approx(torch_loss.item(), abs=1e-12)
    out, _ = net.forward(x01)
    assert np.abs(out - torch_out.detach().numpy()).max() < 1e-12
    assert set(grads) == set(net.params)
    for name, grad in grads.items():
        assert grad.shape == net.params[name].shape
        diff = np.abs(grad - params[name].grad.numpy()).max()
        assert diff < 1e-6, f"{name}: max |hand - autograd| = {diff}"


def test_init_and_shapes():
    net = ScratchNet(hidden=30, seed=0)
    assert net.hidden == 30
    assert {k: v.shape for k, v in net.params.items()} == {
        "w1": (784, 30), "b1": (30,), "w2": (30, 10), "b2": (10,)}
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert net.params["w1"].std() == pytest.approx(784 ** -0.5, rel=0.05)  # N(0, 1/sqrt(n_in))
    assert np.array_equal(ScratchNet(30, seed=0).params["w1"], net.params["w1"])  # seeded
    assert not np.array_equal(ScratchNet(30, seed=1).params["w1"], net.params["w1"])


def test_train_step_is_one_sgd_step():
    net = ScratchNet(hidden=12, seed=3, dtype=np.float64)
    images = torch.randn(8, 1, 28, 28)
    labels = torch.arange(8) % 10
    x01 = to_unit_pixels(images)
    loss, grads = net.loss_and_gradients(x01, labels.numpy())
    expected = {name: value - 0.5 * grads[name] for name, value in net.params.items()}
    out, _ = net.forward(x01)

    step_loss, accuracy = net.train_step(images, labels, lr=0.5)

    assert step_loss == pytest.approx(loss)
    assert accuracy == pytest.approx(float((out.argmax(1) == labels.numpy()).mean()))
    for name, value in expected.items():
        np.testing.assert_allclose(net.params[name], value, rtol=0, atol=1e-12)


def test_unnormalises_to_unit_pixels(mnist):
    x01 = to_unit_pixels(mnist.images("test")[:50])
    raw = mnist.test_images[:50].reshape(50, -1).numpy() / 255.0
    assert x01.shape == (50, 784)
    assert np.abs(x01 - raw).max() < 1e-6
    assert (mnist.images("test")[:1] * STD + MEAN).min() > -1e-6


def test_trains_on_mnist(mnist):
    """Nielsen's setting (H=30, lr=3.0, batch 10): one epoch over 60k images already gives > 90%."""
    order = torch.randperm(60000, generator=torch.Generator().manual_seed(0))
    # Shuffle once, then slice: 6000 small gathers would each start torch's thread pool (slow on a busy CPU).
    x, y = mnist.images("train")[order], mnist.labels("train")[order]
    net = ScratchNet(hidden=30, seed=0)
    losses = []
    for start in range(0, len(x), 10):
        loss, _ = net.train_step(x[start:start + 10], y[start:start + 10], lr=3.0)
        losses.append(loss)
    assert np.mean(losses[-500:]) < np.mean(losses[:500])

    proba = net.predict_proba(mnist.images("test"))
    assert proba.shape == (10000, 10) and proba.dtype == torch.float32
    assert torch.allclose(proba.sum(1), torch.ones(10000), atol=1e-5)
    accuracy = (proba.argmax(1) == mnist.labels("test")).float().mean().item()
    assert accuracy >= 0.90, accuracy  # measured 0.938


def test_state_dict_round_trip():
    net = ScratchNet(hidden=20, seed=0)
    images = torch.randn(5, 1, 28, 28)
    state = net.state_dict()
    assert set(state) == {"w1", "b1", "w2", "b2"}
    assert all(isinstance(v, torch.Tensor) for v in state.values())

    other = ScratchNet(hidden=20, seed=9)
    other.load_state_dict(state)
    assert torch.equal(other.predict_proba(images), net.predict_proba(images))
    for name in state:
        assert np.array_equal(other.params[name], net.params[name])

    state["w1"].zero_()  # a copy: changing the state must not change the net
    assert np.abs(net.params["w1"]).sum() > 0


def test_load_state_dict_rejects_bad_states():
    net = ScratchNet(hidden=20, seed=0)
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError, match="w1 has shape"):
        net.load_state_dict(ScratchNet(hidden=30).state_dict())
    state = net.state_dict()
    del state["b2"]
    with pytest.raises(ValueError, match="missing b2"):
        net.load_state_dict(state)
    state = ScratchNet(hidden=20).state_dict()
    state["b2"] = torch.zeros(11)
    with pytest.raises(ValueError, match="b2"):
        net.load_state_dict(state)
    assert all(np.array_equal(net.params[k], before[k]) for k in before)  # untouched after a rejection


def test_evaluate_reports_the_quadratic_test_loss(small_mnist):
    """The NumPy network's test loss is its own quadratic cost (it used to be missing: None)."""
    from core.learn.families.scratch import ScratchNet
    from core.learn.training import evaluate

    net = ScratchNet(hidden=10, seed=0)
    x, y = small_mnist.images("test")[:200], small_mnist.labels("test")[:200]
    result = evaluate(net, x, y, loss=None)
    a2, _ = net.forward(((x.reshape(len(x), -1) * STD) + MEAN).numpy())
    onehot = np.eye(10)[y.numpy()]
    assert result["test_loss"] == pytest.approx(0.5 * np.sum((a2 - onehot) ** 2) / len(x), rel=1e-4)
