"""core.learn.inside and ui.figures.inside: activations, weights, filters, feature maps and PCA (real MNIST)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.learn import inside as ins
from core.learn.families.nets import build_model
from core.learn.families.scratch import ScratchNet
from core.learn.training import predict_proba
from ui.figures import inside as plots
from ui.figures.style import probability_bars


@pytest.fixture(scope="module")
def test_images(small_mnist):
    return small_mnist.images("test")[:1000], small_mnist.labels("test")[:1000]


@pytest.fixture(scope="module")
def scratch_net(small_mnist):
    """Nielsen's 784-30-10 sigmoid net, one epoch of plain SGD on the 3000-image slice."""
    net = ScratchNet(hidden=30, seed=0)
    images, labels = small_mnist.images("train"), small_mnist.labels("train")
    for start in range(0, len(images), 10):
        net.train_step(images[start:start + 10], labels[start:start + 10], lr=3.0)
    return net


def test_model_kinds(tiny_run, tiny_cnn_run, scratch_net):
    from core.learn.families.knn import KNN

    assert ins.model_kind(tiny_run.model) == "mlp"
    assert ins.model_kind(tiny_cnn_run.model) == "cnn"
    assert ins.model_kind(build_model("lenet5")) == "cnn"
    assert ins.model_kind(build_model("linear")) == "linear"
    assert ins.model_kind(scratch_net) == "scratch"
    assert ins.model_kind(KNN()) == "knn"


def test_mlp_activations_have_the_right_shapes_and_end_in_the_output(tiny_run, test_images):
    model, x = tiny_run.model, test_images[0][:5]
    acts = ins.layer_activations(model, x)
    assert [tuple(a.shape) for _, a in acts] == [(5, 784), (5, 32), (5, 32), (5, 10)]
    assert "Linear 784→32" in acts[1][0] and "ReLU" in acts[2][0]
    with torch.no_grad():
        assert torch.allclose(acts[-1][1], model(x), atol=1e-6)
    assert (acts[2][1] >= 0).all()  # after ReLU
    layers = ins.unit_activations(model, x[:1])
    assert [(layer.number, layer.activation, len(layer.values)) for layer in layers] == [(1, "ReLU", 32),
                                                                                        (0, "softmax", 10)]
    assert np.allclose(layers[-1].values, predict_proba(model, x[:1])[0].numpy(), atol=1e-6)


def test_first_layer_weights_are_the_first_linear_layer_reshaped(tiny_run):
    model = tiny_run.model
    w = ins.first_layer_weights(model)
    assert tuple(w.shape) == (32, 28, 28)
    assert torch.equal(w.reshape(32, 784), model[1].weight.detach())
    assert torch.equal(w[3, 10], model[1].weight.detach()[3, 280:308])  # row 10 of unit 3's image
    linear = build_model("linear")
    assert tuple(ins.first_layer_weights(linear).shape) == (10, 28, 28)


def test_cnn_filters_and_feature_maps(tiny_cnn_run, test_images):
    model, x = tiny_cnn_run.model, test_images[0][:1]
    assert [tuple(c.weight.shape) for c in ins.conv_layers(model)] == [(8, 1, 3, 3), (16, 8, 3, 3), (32, 16, 3, 3)]
    assert torch.equal(ins.conv_filters(model, 1), model[3].weight.detach())
    with pytest.raises(IndexError):
        ins.conv_filters(model, 3)
    maps = ins.feature_maps(model, x)
    assert [tuple(m.shape) for _, m in maps] == [(8, 28, 28), (8, 28, 28), (8, 14, 14), (16, 14, 14), (16, 14, 14),
                                                 (16, 7, 7), (32, 7, 7), (32, 7, 7)]
    assert "Conv 1→8" in maps[0][0] and "MaxPool" in maps[2][0]
    with torch.no_grad():
        assert torch.allclose(maps[0][1], model[0](x)[0], atol=1e-6)
        assert torch.allclose(ins.layer_activations(model, x)[-1][1], model(x), atol=1e-5)
    assert ins.hidden_representation(model, test_images[0][:7]).shape == (7, 32 * 7 * 7)
    with pytest.raises(ins.NotInspectable):
        ins.first_layer_weights(model)


def test_lenet5_hidden_layers():
    torch.manual_seed(0)
    model, x = build_model("lenet5"), torch.randn(1, 1, 28, 28)
    layers = ins.unit_activations(model, x)
    assert [(layer.number, len(layer.values)) for layer in layers] == [(1, 120), (2, 84), (0, 10)]
    assert [tuple(m.shape) for _, m in ins.feature_maps(model, x)][-1] == (16, 5, 5)
    assert ins.hidden_representation(model, x).shape == (1, 84)


def test_hidden_representation_is_what_the_last_linear_layer_sees(tiny_run, test_images):
    model, x = tiny_run.model, test_images[0][:50]
    h = ins.hidden_representation(model, x)
    with torch.no_grad():
        assert torch.allclose(model[-1](h), model(x), atol=1e-5)
    assert torch.allclose(ins.output_scores(model, x), model(x).detach(), atol=1e-6)


def test_scratch_net_is_supported(scratch_net, test_images):
    x = test_images[0][:4]
    acts = ins.layer_activations(scratch_net, x)
    assert [tuple(a.shape) for _, a in acts] == [(4, 30), (4, 10)]
    w = ins.first_layer_weights(scratch_net)
    assert tuple(w.shape) == (30, 28, 28)
    assert np.array_equal(w[5].numpy().ravel(), scratch_net.params["w1"][:, 5])
    layers = ins.unit_activations(scratch_net, x[:1])
    assert np.allclose(layers[-1].values, predict_proba(scratch_net, x[:1])[0].numpy(), atol=1e-6)
    h = ins.hidden_representation(scratch_net, test_images[0])
    assert h.shape == (1000, 30) and torch.allclose(h[:4], acts[0][1].float())


def test_pca_recovers_a_known_plane():
    gen = torch.Generator().manual_seed(0)
    plane = torch.linalg.qr(torch.randn(50, 2, generator=gen, dtype=torch.float64))[0].T  # orthonormal rows
    coeffs = torch.randn(400, 2, generator=gen, dtype=torch.float64) * torch.tensor([5.0, 2.0], dtype=torch.float64)
    points = coeffs @ plane + torch.randn(50, generator=gen, dtype=torch.float64)  # on a shifted 2D plane
    coords, explained = ins.pca_2d(points)
    assert coords.shape == (400, 2)
    assert float(explained.sum()) == pytest.approx(1.0, abs=1e-6)
    assert float(explained[0]) > float(explained[1])
    # Same plane: the coordinates are the centred coefficients turned by a rotation (or reflection) R.
    centred = coeffs - coeffs.mean(0)
    rotation = torch.linalg.lstsq(centred, coords.double()).solution
    assert torch.allclose(rotation.T @ rotation, torch.eye(2, dtype=torch.float64), atol=1e-5)
    assert torch.allclose(centred @ rotation, coords.double(), atol=1e-4)
    # Distances between points survive the projection exactly.
    assert torch.allclose(torch.cdist(coords.double(), coords.double()), torch.cdist(centred, centred), atol=1e-3)


def test_pca_matches_torch_svd_on_mnist(test_images):
    x = test_images[0][:500].reshape(500, -1).double()
    coords, explained = ins.pca_2d(x)
    centred = x - x.mean(0)
    u, s, _ = torch.linalg.svd(centred, full_matrices=False)
    reference = u[:, :2] * s[:2]
    for j in range(2):  # equal up to the sign of each axis
        sign = torch.sign((coords[:, j].double() * reference[:, j]).sum())
        assert torch.allclose(coords[:, j].double() * sign, reference[:, j], atol=1e-3)
    assert torch.allclose(explained.double(), s[:2] ** 2 / (s ** 2).sum(), atol=1e-6)
    assert ins.pca_2d(x.numpy())[0].shape == (500, 2)  # NumPy in works too


def test_hidden_pca_separates_digits_better_than_pixels(tiny_run, scratch_net, test_images):
    images, labels = test_images
    raw = ins.centroid_accuracy(ins.pca_2d(images.reshape(len(images), -1))[0], labels)
    for model in (tiny_run.model, scratch_net):
        hidden = ins.centroid_accuracy(ins.pca_2d(ins.hidden_representation(model, images))[0], labels)
        assert hidden > raw + 0.04, (hidden, raw)
    assert 0.2 < raw < 0.6  # well above chance (10%), far from separated


def test_centroid_accuracy_on_separated_clusters():
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = torch.arange(3).repeat_interleave(20)
    points = centres[labels] + 0.1 * torch.randn(60, 2, generator=torch.Generator().manual_seed(1))
    assert ins.centroid_accuracy(points, labels) == 1.0


def test_knn_has_no_weights_but_shows_its_features(small_mnist):
    from core.learn.families.knn import KNN

    knn = KNN(k=3, grid=7).fit(small_mnist.images("train")[:100], small_mnist.labels("train")[:100])
    x = small_mnist.images("test")[:1]
    feats = ins.knn_input_features(knn, x)
    assert feats.shape == (7, 7) and feats.max() <= 16.0 and feats.sum() > 0
    assert ins.knn_input_features(KNN(features="pixels").fit(x, torch.tensor([0])), x).shape == (28, 28)
    with pytest.raises(ins.NotInspectable):
        ins.first_layer_weights(knn)
    with pytest.raises(ins.NotInspectable):
        ins.hidden_representation(knn, x)


def test_image_tensor_matches_the_dataset(small_mnist):
    raw = small_mnist.test_images[0]
    assert torch.allclose(ins.image_tensor(raw.numpy()), small_mnist.images("test")[:1], atol=1e-6)
    assert torch.allclose(ins.image_tensor(raw.float().numpy() / 255.0), small_mnist.images("test")[:1], atol=1e-6)


def test_figures_build(tiny_run, tiny_cnn_run, test_images):
    w = ins.first_layer_weights(tiny_run.model).numpy()
    fig = plots.tile_grid_figure(w, [str(i) for i in range(32)], cols=8)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.nanmax(np.abs(z)) == pytest.approx(1.0)  # every tile on its own scale
    assert len(fig.layout.annotations) == 32
    assert plots.tile_grid_figure(w, shared_scale=True).data[0].zmax == pytest.approx(float(np.abs(w).max()))
    m = plots.mosaic(np.ones((5, 3, 3)), cols=2, gap=1)
    assert m.shape == (11, 7) and np.isnan(m).sum() == m.size - 45
    assert plots.filter_bank_figure(ins.conv_filters(tiny_cnn_run.model, 1).numpy()).data[0].z.shape == (16 * 4 - 1,
                                                                                                         8 * 4 - 1)
    images, labels = test_images
    coords, explained = ins.pca_2d(images[:300].reshape(300, -1))
    fig = plots.pca_figure(coords.numpy(), labels[:300].numpy(), explained.numpy())
    assert len([tr for tr in fig.data if tr.showlegend is not False]) == 10
    assert "%" in fig.layout.xaxis.title.text
    layers = ins.unit_activations(tiny_run.model, images[:1])
    assert len(plots.activations_figure([("h", layers[0].values)]).data) == 1
    assert len(probability_bars(layers[-1].values).data[0].y) == 10
