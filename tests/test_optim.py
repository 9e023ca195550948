"""LeanStep must be torch.optim, only faster: the same parameters bit for bit, the same state, schedulers intact."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch

from core.learn.config import TrainConfig
from core.learn.families.nets import build_model
from core.learn.losses import compute_loss
from core.learn.optim import LeanStep, make_optimizer


def _train(optimizer: str, schedule: str, lean: bool, *, loss: str = "ce", l2: float = 0.0, fused: bool = True,
           steps: int = 12):
    config = TrainConfig(arch="mlp:32,16", optimizer=optimizer, lr=0.05 if optimizer != "adam" else 1e-2,
                         loss=loss, l2=l2, device="cpu")
    torch.manual_seed(0)
    model = build_model(config.arch)
    opt = make_optimizer(config, model.parameters())
    if not fused:
        opt.param_groups[0]["fused"] = False
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=steps) \
        if schedule == "onecycle" else None
    step = LeanStep(opt)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x, y = torch.randn(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g)
        loss_t = compute_loss(config.loss, model(x), y, model, config.l2)
        if lean:
            step(loss_t)
        else:
            opt.zero_grad(set_to_none=True)
            loss_t.backward()
            opt.step()
        if sched is not None:
            sched.step()
    return model, opt, step


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("schedule", ["constant", "onecycle"])
def test_lean_step_is_bitwise_torch_optim(optimizer, schedule):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a scheduler complaining that the optimizer never stepped
        plain, plain_opt, _ = _train(optimizer, schedule, lean=False)
        lean, lean_opt, step = _train(optimizer, schedule, lean=True)
    assert step.kind == ("adam" if optimizer == "adam" else "sgd")  # the fast path really ran
    for a, b in zip(plain.parameters(), lean.parameters(), strict=True):
        assert torch.equal(a, b)
    # the optimizer's state is what torch.optim keeps, so it can be saved, inspected or stepped further
    for p_plain, p_lean in zip(plain_opt.param_groups[0]["params"], lean_opt.param_groups[0]["params"], strict=True):
        s_plain, s_lean = plain_opt.state[p_plain], lean_opt.state[p_lean]
        assert s_plain.keys() == s_lean.keys()
        for key in s_plain:
            assert torch.equal(torch.as_tensor(s_plain[key]), torch.as_tensor(s_lean[key])), key


def test_lean_step_with_l2_and_other_losses():
    for loss in ("mse", "hinge"):
        plain, *_ = _train("momentum", "constant", lean=False, loss=loss, l2=1e-3)
        lean, *_ = _train("momentum", "constant", lean=True, loss=loss, l2=1e-3)
        assert all(torch.equal(a, b) for a, b in zip(plain.parameters(), lean.parameters(), strict=True))


def test_unfused_optimizer_takes_the_plain_path():
    plain, *_ = _train("adam", "onecycle", lean=False, fused=False)
    lean, _, step = _train("adam", "onecycle", lean=True, fused=False)
    assert step.kind is None
    assert all(torch.equal(a, b) for a, b in zip(plain.parameters(), lean.parameters(), strict=True))


def test_lean_step_continues_a_plain_optimizer():
    """Taking over an optimizer that torch.optim has already stepped uses its state, not a fresh one."""
    model, opt, _ = _train("adam", "constant", lean=False, steps=3)
    reference = build_model("mlp:32,16")
    reference.load_state_dict(model.state_dict())
    ref_opt = torch.optim.Adam(reference.parameters(), lr=1e-2, fused=True)
    ref_opt.load_state_dict(copy.deepcopy(opt.state_dict()))  # else the step counters are shared
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    LeanStep(opt)(torch.nn.functional.cross_entropy(model(x), y))
    ref_opt.zero_grad()
    torch.nn.functional.cross_entropy(reference(x), y).backward()
    ref_opt.step()
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), reference.parameters(), strict=True))
