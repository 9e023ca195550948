"""Saliency: shapes, signs, and that a model relying on one region gets its saliency there."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from core.learn.data import MEAN, STD
from core.learn.families.knn import KNN
from core.learn.saliency import gradient_saliency, occlusion_saliency, overlay

REGION = (slice(10, 16), slice(10, 16))  # the only pixels the hand-built model looks at
WEIGHT = 0.02  # small enough that softmax does not saturate (so occlusion can move the probability)


def region_model() -> nn.Module:
    """A linear model: class 3's score is WEIGHT x the sum of the pixels in REGION; every other weight is 0."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.zero_()
        w = torch.zeros(28, 28)
        w[REGION] = WEIGHT
        model[1].weight[3] = w.flatten()
    return model


def square_image() -> torch.Tensor:
    """A normalised image with ink on REGION and on a far-away square the model ignores."""
    img = torch.zeros(28, 28)
    img[REGION] = 1.0
    img[20:26, 2:8] = 1.0
    return ((img - MEAN) / STD).reshape(1, 1, 28, 28)


def outside_region() -> np.ndarray:
    mask = np.ones((28, 28), bool)
    mask[REGION] = False
    return mask


def test_gradient_saliency_lies_on_the_region_the_weights_cover():
    model = region_model()
    before = copy.deepcopy(model.state_dict())
    sal = gradient_saliency(model, square_image())
    assert sal.shape == (28, 28) and sal.dtype == np.float32
    assert (sal >= 0).all()
    assert np.allclose(sal[REGION], WEIGHT)  # d score / d pixel = WEIGHT there
    assert np.allclose(sal[outside_region()], 0.0)
    for key, value in model.state_dict().items():  # a shared model is left untouched
        assert torch.equal(value, before[key])
    assert all(p.grad is None for p in model.parameters())


def test_gradient_saliency_of_a_trained_mlp(tiny_run, small_mnist):
    sal = gradient_saliency(tiny_run.model, small_mnist.images("test")[:1])
    assert sal.shape == (28, 28) and (sal >= 0).all() and sal.max() > 0


def test_occlusion_blanking_the_relied_on_region_lowers_the_probability():
    model = region_model()
    sal = occlusion_saliency(model, square_image(), patch=4)
    assert sal.shape == (28, 28)
    assert sal[REGION].mean() > 0.05  # blanking the region costs class 3 probability
    ignored = sal[20:26, 2:8]
    assert np.abs(ignored).max() < 1e-6  # blanking the ignored square changes nothing
    assert sal[REGION].mean() > 10 * np.abs(sal[outside_region()]).mean()


def test_occlusion_works_for_knn(small_mnist):
    knn = KNN(k=3).fit(small_mnist.images("train")[:500], small_mnist.labels("train")[:500])
    x = small_mnist.images("test")[:1]
    sal = occlusion_saliency(knn, x, patch=6)
    assert sal.shape == (28, 28) and np.isfinite(sal).all()
    ink = small_mnist.test_images[0].numpy() > 0
    assert sal[ink].mean() >= sal[~ink].mean()  # blanking empty background cannot matter more than the ink


def test_overlay_is_red_where_the_saliency_is():
    sal = np.zeros((28, 28), np.float32)
    sal[REGION] = 1.0
    rgb = overlay(np.zeros((28, 28)), sal, scale=4)
    assert rgb.shape == (112, 112, 3) and rgb.dtype == np.uint8
    inside, outside = rgb[12 * 4, 12 * 4], rgb[2, 2]
    assert inside[0] > 200 and inside[1] < 60
    assert outside[0] == outside[1] == outside[2]  # grey
