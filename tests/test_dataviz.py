"""ui.figures.data: the numbers and figures of the Home and Data pages, checked on the real MNIST files."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.learn.data import MEAN, STD, pixel_stats
from core.learn.families.nets import build_model, count_parameters
from ui.figures import data as dataviz

# The classic MNIST class counts (LeCun's files): training and test set.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_class_counts_match_bincount_and_the_known_mnist_counts(mnist):
    train = dataviz.class_counts(mnist.train_labels)
    test = dataviz.class_counts(mnist.test_labels)
    assert sum(train) == len(mnist.train_labels) == 60_000
    assert sum(test) == len(mnist.test_labels) == 10_000
    assert train == np.bincount(mnist.train_labels.numpy(), minlength=10).tolist() == TRAIN_COUNTS
    assert test == TEST_COUNTS


def test_class_counts_keeps_ten_bins_when_digits_are_missing():
    assert dataviz.class_counts(torch.tensor([3, 3, 7])) == [0, 0, 0, 2, 0, 0, 0, 1, 0, 0]


def test_mean_images_are_the_per_digit_averages(small_mnist):
    means = dataviz.mean_images(small_mnist.train_images, small_mnist.train_labels)
    assert means.shape == (10, 28, 28)
    for d in (0, 4, 9):
        expected = small_mnist.train_images[small_mnist.train_labels == d].double().mean(0)
        assert torch.allclose(means[d].double(), expected, atol=1e-3)
    assert float(means.min()) >= 0 and float(means.max()) <= 255


def test_mean_one_has_its_ink_in_the_centre_column(mnist):
    one = dataviz.mean_images(mnist.train_images, mnist.train_labels)[1]
    centre = float(one[:, 12:16].mean())
    sides = float(torch.cat([one[:, :6], one[:, -6:]], dim=1).mean())
    assert centre > 10 * sides
    # while a zero is a ring: its centre is lighter than the ring around it
    zero = dataviz.mean_images(mnist.train_images, mnist.train_labels)[0]
    assert float(zero[12:16, 12:16].mean()) < float(zero[12:16, 6:10].mean())


def test_pixel_histogram_counts_every_pixel_and_most_are_zero(mnist, small_mnist):
    small = small_mnist.train_images
    assert dataviz.pixel_histogram(small) == np.bincount(small.numpy().ravel(), minlength=256).tolist()
    assert dataviz.pixel_histogram(small.long()) == dataviz.pixel_histogram(small)
    hist = dataviz.pixel_histogram(mnist.train_images)
    assert len(hist) == 256
    assert sum(hist) == 60_000 * 784
    assert 0.79 < hist[0] / sum(hist) < 0.82  # about 81% of MNIST's pixels are blank paper
    assert hist[0] > 10 * max(hist[1:])


def test_pixel_stats_on_the_full_training_set_give_the_famous_constants(mnist):
    mean, std = pixel_stats(mnist.train_images)
    assert round(mean, 4) == MEAN == 0.1307
    assert round(std, 4) == STD == 0.3081


def test_normalised_value_maps_paper_and_ink():
    assert dataviz.normalised_value(0) == pytest.approx(-0.1307 / 0.3081)
    assert dataviz.normalised_value(255) == pytest.approx((1 - 0.1307) / 0.3081)


def test_sample_indices_are_of_the_digit_distinct_and_fixed_by_the_seed(mnist):
    labels = mnist.train_labels
    picked = dataviz.sample_indices(labels, 3, 24, seed=5)
    assert len(picked) == len(set(picked)) == 24
    assert all(int(labels[i]) == 3 for i in picked)
    assert picked == dataviz.sample_indices(labels, 3, 24, seed=5)
    assert picked != dataviz.sample_indices(labels, 3, 24, seed=6)
    anything = dataviz.sample_indices(labels, None, 9, seed=0)
    assert len(set(int(labels[i]) for i in anything)) > 3  # "all digits" mixes digits
    few = torch.tensor([1, 2, 2, 1])
    assert sorted(dataviz.sample_indices(few, 2, 9, seed=0)) == [1, 2]  # fewer than asked: all of them
    assert dataviz.sample_indices(few, 7, 9, seed=0) == []


def test_row_slice_is_where_a_row_lands_in_the_flattened_vector(small_mnist):
    image = small_mnist.test_images[0]
    row = dataviz.inkiest_row(image)
    start, stop = dataviz.row_slice(row)
    assert stop - start == 28
    assert torch.equal(image.flatten()[start:stop], image[row])
    assert int(image[row].sum()) == int(image.sum(1).max())


def test_layer_sizes_and_parameter_count_agree_with_the_real_model():
    assert dataviz.layer_sizes("mlp:128,64") == [784, 128, 64, 10]
    assert dataviz.layer_sizes("linear") == [784, 10]
    assert dataviz.layer_sizes("scratch:30") == [784, 30, 10]
    assert dataviz.layer_sizes("cnn") is None and dataviz.layer_sizes("knn") is None
    for arch in ("mlp:128,64", "linear", "mlp:32"):
        assert dataviz.parameter_count(dataviz.layer_sizes(arch)) == count_parameters(build_model(arch))


def test_untrained_network_gives_nearly_uniform_probabilities(small_mnist):
    image = small_mnist.images("test")[0]
    scores, probs = dataviz.untrained_outputs(image)
    assert len(scores) == len(probs) == 10
    assert sum(probs) == pytest.approx(1.0, abs=1e-5)
    assert 0.04 < min(probs) and max(probs) < 0.2
    assert probs == pytest.approx(torch.softmax(torch.tensor(scores), 0).tolist(), abs=1e-6)
    assert (scores, probs) == dataviz.untrained_outputs(image)  # same seed, same network


def test_scores_and_probs_of_a_trained_run(tiny_run, small_mnist):
    from core.learn.training import predict_proba

    model = tiny_run.model
    model.train()
    x = small_mnist.images("test")[:1]
    scores, probs = dataviz.scores_and_probs(model, x[0])
    assert model.training  # left as it was
    assert probs == pytest.approx(predict_proba(model, x)[0].tolist(), abs=1e-6)
    assert probs == pytest.approx(torch.softmax(torch.tensor(scores), 0).tolist(), abs=1e-6)
    assert max(probs) > 0.5  # trained: confident about test image 0 (a 7)
    loss = dataviz.cross_entropy(probs, int(small_mnist.test_labels[0]))
    assert loss == pytest.approx(-math.log(probs[7]))


def test_other_figures_hold_their_data(small_mnist):
    images = small_mnist.train_images[:24].numpy()
    grid = dataviz.image_grid_figure(images, [str(i) for i in range(24)], cols=6)
    assert len(grid.data) == 24 and [a.text for a in grid.layout.annotations] == [str(i) for i in range(24)]
    counts = dataviz.class_counts_figure(TRAIN_COUNTS, TEST_COUNTS, ("train", "test"))
    assert list(counts.data[0].y) == TRAIN_COUNTS and list(counts.data[1].y) == TEST_COUNTS
    hist = dataviz.histogram_figure([100, 0, 5] + [1] * 253)
    assert hist.layout.yaxis.type == "log" and 1 not in hist.data[0].x  # empty bins are left out
