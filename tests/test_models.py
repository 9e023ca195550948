"""Architectures by spec string: parameter counts, shapes, and clear errors."""

import pytest
import torch

from core.learn.config import ConfigError, parse_arch
from core.learn.families.nets import build_model, count_parameters, device_availability, resolve_device


@pytest.mark.parametrize(
    ("spec", "params"),
    [
        ("linear", 784 * 10 + 10),
        ("mlp:128,64", 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10),  # 109,386
        ("mlp:64,64,64", 784 * 64 + 64 + 2 * (64 * 64 + 64) + 64 * 10 + 10),
        ("mlp:256,64", 784 * 256 + 256 + 256 * 64 + 64 + 64 * 10 + 10),
        # conv 1->8, 8->16, 16->32 (3x3 with bias) and linear 32*7*7 -> 10
        ("cnn", (8 * 9 + 8) + (16 * 8 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 7 * 7 * 10 + 10)),
        ("lenet5", 61706),
    ],
)
def test_parameter_counts(spec, params):
    assert count_parameters(build_model(spec)) == params


def test_cnn_is_exactly_the_classic_small_cnn():
    convs = [m for m in build_model("cnn") if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (1, 8, (3, 3), (1, 1)), (8, 16, (3, 3), (1, 1)), (16, 32, (3, 3), (1, 1))]
    assert count_parameters(build_model("cnn")) == 21578


@pytest.mark.parametrize("spec", ["linear", "mlp:30", "mlp:128,64", "cnn", "lenet5"])
def test_every_model_maps_images_to_ten_scores(spec):
    assert build_model(spec)(torch.zeros(5, 1, 28, 28)).shape == (5, 10)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_activation(activation):
    kinds = {type(m).__name__.lower() for m in build_model("mlp:16,16", activation)}
    assert activation in kinds


@pytest.mark.parametrize("spec", ["resnet", "mlp", "mlp:", "mlp:0", "mlp:12,x", "cnn:3", "scratch:1,2", ""])
def test_bad_specs_are_clear_errors(spec):
    with pytest.raises(ConfigError):
        parse_arch(spec)


def test_parse_arch():
    assert parse_arch("mlp:128,64") == ("mlp", [128, 64])
    assert parse_arch("scratch:30") == ("scratch", [30])


def test_unavailable_device_is_an_error_not_a_fallback():
    available = device_availability()
    assert available["cpu"] is None
    for name in ("cuda", "mps"):
        if available[name] is not None:
            with pytest.raises(ConfigError, match="not available"):
                resolve_device(name)
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cuda", "mps", "cpu")
