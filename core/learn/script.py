"""A run as one plain, runnable Python file (or a Jupyter notebook): "show me the code".

`script(config)` writes the training the app does for a TrainConfig as a classic tutorial program, built from
the config itself (no template that could drift): a model class, the train loop of the three plain lines, an
evaluate function, the same loss, optimizer, rate, schedule, batch size, epochs and seed, and MNIST read from
`--data DIR` (the four IDX files, .gz or not) or downloaded by torchvision. Its last line of output is
`final test accuracy: 97.65%`. What makes it the app's training, bit for bit where it can be:

- torch: `torch.manual_seed(seed)` right before the model is built (the same initial weights: the layers are
  created in the app's order), the batch order from `torch.Generator().manual_seed(seed)` and one
  `torch.randperm` per epoch, pixels scaled as core/learn/data.py does, one-cycle over all the steps, and with
  a target accuracy the app's evaluations (on the whole test set, `evals_per_epoch` per epoch).
- the NumPy network: Nielsen's init from `np.random.default_rng(seed)` as core/learn/families/scratch.py, and
  the app's batch order without torch: torch.randperm on the CPU is a Fisher-Yates shuffle driven by a
  Mersenne Twister seeded like NumPy's legacy RandomState (the low 32 bits of the seed), so
  `randperm(n, RandomState(seed))` below draws exactly torch's permutation (tests/test_script.py checks it).
- kNN: the same features, computed exactly (integer ink sums), the same neighbours; a tied vote goes to the
  lower digit, as the app's kNN run scores it.

`--train-limit N` trains on the first N training images (the app's train_subset), which is what the test uses
to compare app and script quickly. Comments are written in the reader's language (en or zh).
"""

from __future__ import annotations

import unicodedata

from core.learn.config import TrainConfig, parse_arch

LANGS = ("en", "zh")
EVAL_BATCH = 2000  # as core/learn/training.py: images per forward pass when evaluating

# The comments of the generated code, in each language (core never imports the UI catalogs).
COMMENTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "MNIST Lab run {name} as a plain {lib} script.",
        "what_knn": "kNN with k = {k} on {features} features.",
        "what_scratch": "NumPy network {arch}: quadratic cost, SGD at lr {lr}, {epochs} epoch(s), batches of {batch}.",
        "what_torch": "{arch}: {loss} loss, {optimizer} at lr {lr}{onecycle}, {epochs} epoch(s) of batches of {batch}.",
        "made": "Made by MNIST Lab from the run's saved settings: the same training the app did.",
        "usage": "Run it:  python {file} [--data DIR] [--train-limit N]",
        "needs": "Needs: {needs}.",
        "data_arg": "a folder holding MNIST's four IDX files (.gz or not); without it MNIST is downloaded",
        "limit_arg": "train on the first N training images only (default: TRAIN_LIMIT)",
        "limit": "train on the first N training images only (None: all 60,000)",
        "settings": "Every setting of the run, in one place",
        "lr": "learning rate: the size of each step downhill",
        "lr_peak": "peak learning rate: one-cycle warms up to it, then anneals to almost 0",
        "batch": "images per step: the gradient is averaged over a batch",
        "epochs": "passes over the training set",
        "seed": "seeds the initial weights and the batch order: same seed, same run",
        "l2": "weight of the L2 penalty 0.5 * l2 * sum(w^2) on the weights (biases are not penalised)",
        "smoothing": "label smoothing: the target is 1 - s on the right digit plus s / 10 on every digit",
        "smoothing_term": "with smoothing s the net is never pushed to be 100% sure (used in training only)",
        "target": "stop as soon as the whole test set reaches this accuracy",
        "evals": "with a target, the test set is checked this many times per epoch",
        "norm": "mean and standard deviation of MNIST's training pixels (scaled to 0..1)",
        "k": "neighbours that vote",
        "features": "blocks: ink in each cell of a grid; pixels: the 784 raw pixels",
        "grid": "blocks: the image is cut into GRID x GRID cells",
        "hidden": "units in the hidden layer",
        "read_idx": "One of MNIST's IDX files (gzipped or not): a magic number, the sizes, then the bytes.",
        "load": "Train and test images and labels; pixels standardised as the app does.",
        "download": "no folder given: torchvision downloads MNIST into ./data",
        "scale": "0..255 -> 0..1 -> mean 0, standard deviation 1: the scale the network trains on",
        "model": "The network: its layers are created in the app's order, so the same seed gives the same weights.",
        "flatten": "[B, 1, 28, 28] -> [B, 784]: every pixel is one input",
        "scores": "10 scores, one per digit",
        "pool": "2x2 max-pooling halves the image",
        "loss_ce": "cross-entropy: -log of the softmax probability of the right digit",
        "loss_mse": "mean squared error between the 10 outputs and the one-hot target",
        "loss_hinge": "multiclass SVM (CS231n): sum over wrong digits of max(0, s_j - s_y + 1)",
        "l2_term": "the L2 penalty keeps the weights small",
        "shuffle": "a new order every epoch, drawn from the seeded generator",
        "three": "the three classic lines: clear old gradients, backpropagate, step",
        "schedule": "one-cycle: the learning rate changes after every step",
        "diverged": "a loss of inf or nan: the learning rate is too high for this setup",
        "evaluate": "Mean loss and accuracy on a whole set, a few thousand images at a time.",
        "seed_init": "the same initial weights as the app's run",
        "sgd": "plain SGD: w -= lr * gradient",
        "momentum": "SGD with momentum 0.9: steps keep some of their previous direction",
        "adam": "Adam: a step size per weight, from running means of the gradient and its square",
        "device": "a GPU when there is one (the app's 'auto')",
        "cpu": "the run trained on the CPU",
        "sigmoid": "sigmoid squashes any number into 0..1",
        "np_init": "Nielsen's init: weights ~ N(0, 1/sqrt(inputs)), biases ~ N(0, 1)",
        "np_cost": "quadratic cost 0.5 * ||a - y||^2, averaged over the batch",
        "np_bp1": "output error (BP1): (a - y) * sigmoid'(z), sigmoid'(z) = a * (1 - a)",
        "np_bp2": "pushed back one layer (BP2), before the weights change",
        "np_step": "gradient step on every parameter (BP3, BP4)",
        "np_order": "the Mersenne Twister torch.Generator().manual_seed(SEED) starts from",
        "np_perm": "torch.randperm(n) of the app's batch order, in NumPy: the same draws give the same batches.",
        "knn_features": "Features of uint8 images [N, 28, 28], exactly: integer ink sums per cell, then / 255.",
        "knn_cells": "cell i spans pixels floor(i*28/GRID) .. ceil((i+1)*28/GRID), as adaptive pooling",
        "knn_search": "The k nearest training images of each test image (squared Euclidean distance).",
        "knn_vote": "majority vote of the k neighbours; a tie goes to the lower digit, as the app scores it",
        "knn_fit": "kNN does not train: it remembers the training images",
    },
    "zh": {
        "title": "MNIST Lab 运行 {name}，写成一个普通的 {lib} 脚本。",
        "what_knn": "kNN，k = {k}，{features} 特征。",
        "what_scratch": "NumPy 网络 {arch}：二次代价，SGD，学习率 {lr}，{epochs} 轮，每批 {batch} 张。",
        "what_torch": "{arch}：{loss} 损失，{optimizer}，学习率 {lr}{onecycle}，{epochs} 轮，每批 {batch} 张。",
        "made": "由 MNIST Lab 根据该运行保存的设置生成：与应用中的训练完全相同。",
        "usage": "运行：python {file} [--data 文件夹] [--train-limit N]",
        "needs": "依赖：{needs}。",
        "data_arg": "存放 MNIST 四个 IDX 文件（.gz 或未压缩）的文件夹；不给则自动下载 MNIST",
        "limit_arg": "只用前 N 张训练图像（默认：TRAIN_LIMIT）",
        "limit": "只用前 N 张训练图像（None：全部 60,000 张）",
        "settings": "这次运行的全部设置，集中在一处",
        "lr": "学习率：每一步下山的步长",
        "lr_peak": "最高学习率：one-cycle 先升到它，再退火到接近 0",
        "batch": "每一步的图像数：梯度在一个批次上取平均",
        "epochs": "遍历训练集的轮数",
        "seed": "决定初始权重和批次顺序：种子相同，运行相同",
        "l2": "L2 惩罚 0.5 * l2 * sum(w^2) 的权重（偏置不受惩罚）",
        "smoothing": "标签平滑：目标是正确数字 1 - s，再给每个数字 s / 10",
        "smoothing_term": "平滑 s 让网络不会被逼到 100% 确定（只在训练时使用）",
        "target": "整个测试集达到这个准确率就立即停止",
        "evals": "设有目标时，每轮检查测试集的次数",
        "norm": "MNIST 训练像素（缩放到 0..1）的均值和标准差",
        "k": "参与投票的近邻个数",
        "features": "blocks：网格中每个格子的墨水量；pixels：原始的 784 个像素",
        "grid": "blocks：把图像切成 GRID x GRID 个格子",
        "hidden": "隐藏层的单元数",
        "read_idx": "读取 MNIST 的一个 IDX 文件（可为 gzip）：魔数、各维大小，然后是字节。",
        "load": "训练和测试的图像与标签；像素按应用的方式标准化。",
        "download": "没有给文件夹：由 torchvision 把 MNIST 下载到 ./data",
        "scale": "0..255 -> 0..1 -> 均值 0、标准差 1：网络训练时使用的尺度",
        "model": "网络：各层按应用中的顺序创建，所以同一个种子得到同样的权重。",
        "flatten": "[B, 1, 28, 28] -> [B, 784]：每个像素是一个输入",
        "scores": "10 个分数，每个数字一个",
        "pool": "2x2 最大池化把图像缩小一半",
        "loss_ce": "交叉熵：正确数字的 softmax 概率取负对数",
        "loss_mse": "10 个输出与 one-hot 目标之间的均方误差",
        "loss_hinge": "多类 SVM（CS231n）：对每个错误数字求 max(0, s_j - s_y + 1) 之和",
        "l2_term": "L2 惩罚让权重保持较小",
        "shuffle": "每轮一个新顺序，取自设定了种子的生成器",
        "three": "经典的三行：清除旧梯度、反向传播、走一步",
        "schedule": "one-cycle：每一步之后调整学习率",
        "diverged": "损失变成 inf 或 nan：对这个设置来说学习率太高",
        "evaluate": "在整个数据集上的平均损失和准确率，每次处理几千张图像。",
        "seed_init": "与应用中的运行相同的初始权重",
        "sgd": "普通 SGD：w -= lr * 梯度",
        "momentum": "动量为 0.9 的 SGD：每一步保留一部分上一步的方向",
        "adam": "Adam：根据梯度及其平方的滑动平均，为每个权重设定步长",
        "device": "有 GPU 就用 GPU（应用中的 'auto'）",
        "cpu": "这次运行是在 CPU 上训练的",
        "sigmoid": "sigmoid 把任意数压缩到 0..1",
        "np_init": "Nielsen 的初始化：权重 ~ N(0, 1/sqrt(输入数))，偏置 ~ N(0, 1)",
        "np_cost": "二次代价 0.5 * ||a - y||^2，在批次上取平均",
        "np_bp1": "输出层误差（BP1）：(a - y) * sigmoid'(z)，其中 sigmoid'(z) = a * (1 - a)",
        "np_bp2": "在权重改变之前，把误差向前传回一层（BP2）",
        "np_step": "对每个参数做一步梯度下降（BP3、BP4）",
        "np_order": "与 torch.Generator().manual_seed(SEED) 相同起点的梅森旋转生成器",
        "np_perm": "用 NumPy 重现应用中批次顺序的 torch.randperm(n)：相同的随机数给出相同的批次。",
        "knn_features": "uint8 图像 [N, 28, 28] 的特征，精确计算：每个格子的整数墨水和，再除以 255。",
        "knn_cells": "第 i 个格子覆盖像素 floor(i*28/GRID) .. ceil((i+1)*28/GRID)，与自适应池化相同",
        "knn_search": "每张测试图像最近的 k 张训练图像（欧氏距离的平方）。",
        "knn_vote": "k 个近邻多数投票；平票时取较小的数字，与应用的计分方式相同",
        "knn_fit": "kNN 不训练：它只是记住训练图像",
    },
}

FILES = ['FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",',
         '         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")  # MNIST\'s four IDX files']
CHECKS = "    checks = {max(1, round(i * steps / CHECKS_PER_EPOCH)) for i in range(1, CHECKS_PER_EPOCH + 1)}"
WIDTH = 110  # a longer line gets its comment on the line above


def _c(lang: str, key: str, **values) -> str:
    text = COMMENTS[lang][key]
    return text.format(**values) if values else text


def file_name(name: str, notebook: bool = False) -> str:
    """A file name for a run's script: letters, digits, dash and underscore only."""
    stem = "".join(ch if ch.isalnum() and ch.isascii() or ch in "-_" else "_" for ch in name).strip("_") or "run"
    return f"mnist_{stem}.{'ipynb' if notebook else 'py'}"


def describe(config: TrainConfig, lang: str = "en") -> str:
    """One line saying what the run trains: 'mlp:128,64: ce loss, adam at lr 0.001, 5 epoch(s) of batches of 64'."""
    c = config
    return _c(lang if lang in LANGS else "en", f"what_{c.family}", k=c.k, features=c.knn_features, arch=c.arch,
              lr=f"{c.lr:g}", epochs=c.epochs, batch=c.batch_size, loss=c.loss, optimizer=c.optimizer,
              onecycle=" (one-cycle)" if c.schedule == "onecycle" else "")


# ---- the parts every script shares ---------------------------------------------------------------------------

def _header(config: TrainConfig, name: str, lang: str, lib: str, needs: str) -> list[str]:
    return ['"""' + _c(lang, "title", name=name, lib=lib), "", describe(config, lang),
            _c(lang, "made"), _c(lang, "usage", file=file_name(name)), _c(lang, "needs", needs=needs), '"""', ""]


def _main_args(lang: str) -> list[str]:
    return ['if __name__ == "__main__":',
            "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
            '    parser.add_argument("--data", metavar="DIR",',
            f'                        help="{_c(lang, "data_arg")}")',
            '    parser.add_argument("--train-limit", type=int, metavar="N", default=TRAIN_LIMIT,',
            f'                        help="{_c(lang, "limit_arg")}")',
            "    args = parser.parse_args()",
            "    main(args.data, args.train_limit)"]


# ---- torch ---------------------------------------------------------------------------------------------------

def _torch_model(config: TrainConfig, lang: str) -> list[str]:
    head, widths = parse_arch(config.arch)
    act = {"relu": "torch.relu", "sigmoid": "torch.sigmoid", "tanh": "torch.tanh"}[config.activation]
    init, body = [], []
    if head in ("linear", "mlp"):
        sizes = [28 * 28, *(widths if head == "mlp" else [])]
        for i, (n_in, n_out) in enumerate(zip(sizes, [*sizes[1:], 10], strict=True), start=1):
            init.append(f"self.fc{i} = nn.Linear({n_in}, {n_out})")
        body.append(f"x = x.flatten(1)  # {_c(lang, 'flatten')}")
        body += [f"x = {act}(self.fc{i}(x))" for i in range(1, len(sizes))]
        body.append(f"return self.fc{len(sizes)}(x)  # {_c(lang, 'scores')}")
    elif head == "cnn":
        init += ["self.conv1 = nn.Conv2d(1, 8, 3, padding=1)", "self.conv2 = nn.Conv2d(8, 16, 3, padding=1)",
                 "self.conv3 = nn.Conv2d(16, 32, 3, padding=1)", "self.fc = nn.Linear(32 * 7 * 7, 10)"]
        body += [f"x = F.max_pool2d(torch.relu(self.conv1(x)), 2)  # 28 -> 14: {_c(lang, 'pool')}",
                 "x = F.max_pool2d(torch.relu(self.conv2(x)), 2)  # 14 -> 7",
                 "x = torch.relu(self.conv3(x))",
                 f"return self.fc(x.flatten(1))  # {_c(lang, 'scores')}"]
    else:  # lenet5
        init += ["self.conv1 = nn.Conv2d(1, 6, 5, padding=2)", "self.conv2 = nn.Conv2d(6, 16, 5)",
                 "self.fc1 = nn.Linear(16 * 5 * 5, 120)", "self.fc2 = nn.Linear(120, 84)",
                 "self.fc3 = nn.Linear(84, 10)"]
        body += [f"x = F.max_pool2d(torch.relu(self.conv1(x)), 2)  # 28 -> 14: {_c(lang, 'pool')}",
                 "x = F.max_pool2d(torch.relu(self.conv2(x)), 2)  # 14 -> 10 -> 5",
                 "x = torch.relu(self.fc1(x.flatten(1)))", "x = torch.relu(self.fc2(x))",
                 f"return self.fc3(x)  # {_c(lang, 'scores')}"]
    return ["class Net(nn.Module):", f'    """{_c(lang, "model")}"""', "", "    def __init__(self):",
            "        super().__init__()", *("        " + line for line in init), "",
            "    def forward(self, x):", *("        " + line for line in body)]


def _torch_loss(config: TrainConfig, lang: str) -> list[str]:
    lines = ["def loss_fn(scores, labels):"]
    if config.loss == "ce" and config.label_smoothing:  # training only: the test loss is plain cross-entropy
        lines = ["def loss_fn(scores, labels, smoothing=0.0):", f"    # {_c(lang, 'loss_ce')}",
                 f"    # {_c(lang, 'smoothing_term')}",
                 "    return F.cross_entropy(scores, labels, label_smoothing=smoothing)"]
    elif config.loss == "ce":
        lines += [f"    # {_c(lang, 'loss_ce')}", "    return F.cross_entropy(scores, labels)"]
    elif config.loss == "mse":
        lines += [f"    # {_c(lang, 'loss_mse')}", "    return F.mse_loss(scores, F.one_hot(labels, 10).float())"]
    else:
        lines += [f"    # {_c(lang, 'loss_hinge')}", "    correct = scores.gather(1, labels[:, None])",
                  "    margins = (scores - correct + 1.0).clamp(min=0).scatter(1, labels[:, None], 0.0)",
                  "    return margins.sum(dim=1).mean()"]
    return lines


def _torch_optimizer(config: TrainConfig, lang: str) -> str:
    call = {"sgd": "torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)",
            "momentum": "torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=0.9)",
            "adam": "torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)"}[config.optimizer]
    return f"    optimizer = {call}  # {_c(lang, config.optimizer)}"


def _read_idx(lang: str, frombuffer: str) -> list[str]:
    """The IDX reader of both scripts; `frombuffer` turns the file's bytes after its header into a flat array."""
    return [
        "def read_idx(folder, name):",
        f'    """{_c(lang, "read_idx")}"""',
        "    for path in (Path(folder) / name, Path(folder) / f\"{name}.gz\"):",
        "        if path.is_file():",
        '            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()',
        '            shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]',
        f"            return {frombuffer}.reshape(shape)",
        '    raise SystemExit(f"error: {folder} holds no {name} (nor {name}.gz)")',
    ]


def _data_torch(lang: str) -> list[str]:
    return [
        *_read_idx(lang, "torch.frombuffer(bytearray(raw[4 + 4 * raw[3]:]), dtype=torch.uint8)"),
        "",
        "",
        "def load_mnist(data_dir=None, train_limit=None):",
        f'    """{_c(lang, "load")}"""',
        "    if data_dir is None:  # " + _c(lang, "download"),
        "        from torchvision import datasets",
        "",
        '        train, test = (datasets.MNIST("data", train=t, download=True) for t in (True, False))',
        "        x, y, xt, yt = train.data, train.targets, test.data, test.targets",
        "    else:",
        "        x, y, xt, yt = (read_idx(data_dir, name) for name in FILES)",
        "",
        "    def scale(images):  # " + _c(lang, "scale"),
        "        return ((images.float() / 255.0 - MEAN) / STD).unsqueeze(1)",
        "",
        "    return scale(x[:train_limit]), y[:train_limit].long(), scale(xt), yt.long()",
    ]


def _torch_script(config: TrainConfig, name: str, lang: str) -> list[str]:
    c = config
    device = ('torch.device("cuda" if torch.cuda.is_available() else\n'
              '                          "mps" if torch.backends.mps.is_available() else "cpu")'
              f'  # {_c(lang, "device")}') if c.device == "auto" else \
        f'torch.device("{c.device}")' + (f"  # {_c(lang, 'cpu')}" if c.device == "cpu" else "")
    settings = [f"# ---- {_c(lang, 'settings')} ----",
                f"LEARNING_RATE = {c.lr!r}  # {_c(lang, 'lr_peak' if c.schedule == 'onecycle' else 'lr')}",
                f"BATCH_SIZE = {c.batch_size}  # {_c(lang, 'batch')}",
                f"EPOCHS = {c.epochs}  # {_c(lang, 'epochs')}",
                f"SEED = {c.seed}  # {_c(lang, 'seed')}",
                f"TRAIN_LIMIT = {c.train_subset}  # {_c(lang, 'limit')}"]
    if c.l2:
        settings.append(f"L2 = {c.l2!r}  # {_c(lang, 'l2')}")
    smoothing = c.loss == "ce" and c.label_smoothing
    if smoothing:
        settings.append(f"LABEL_SMOOTHING = {c.label_smoothing!r}  # {_c(lang, 'smoothing')}")
    if c.target_accuracy:
        settings += [f"TARGET_ACCURACY = {c.target_accuracy!r}  # {_c(lang, 'target')}",
                     f"CHECKS_PER_EPOCH = {c.evals_per_epoch}  # {_c(lang, 'evals')}"]
    settings += [f"MEAN, STD = 0.1307, 0.3081  # {_c(lang, 'norm')}", *FILES]
    target = bool(c.target_accuracy)
    train = ["def train_epoch(model, optimizer, scheduler, x, y, generator" + (", xt, yt):" if target else "):"),
             "    order = torch.randperm(len(y), generator=generator).to(x.device)  # " + _c(lang, "shuffle"),
             "    total, steps = 0.0, math.ceil(len(y) / BATCH_SIZE)"]
    if target:
        train.append(CHECKS)
    train += ["    for step in range(steps):",
              "        batch = order[step * BATCH_SIZE:(step + 1) * BATCH_SIZE]",
              "        loss = loss_fn(model(x[batch]), y[batch]" + (", LABEL_SMOOTHING)" if smoothing else ")")]
    if c.l2:
        train.append("        loss = loss + L2 * 0.5 * sum((p * p).sum() for p in model.parameters() if p.dim() > 1)"
                     f"  # {_c(lang, 'l2_term')}")
    train += [f"        optimizer.zero_grad()  # {_c(lang, 'three')}", "        loss.backward()",
              "        optimizer.step()"]
    if c.schedule == "onecycle":
        train.append(f"        scheduler.step()  # {_c(lang, 'schedule')}")
    train += ["        total += loss.item()",
              f"        if not math.isfinite(total):  # {_c(lang, 'diverged')}",
              '            raise SystemExit(f"training diverged: the loss is {total}")']
    if target:
        train += ["        if step + 1 in checks and evaluate(model, xt, yt)[1] >= TARGET_ACCURACY:",
                  "            return total / (step + 1), True"]
    train.append("    return total / steps" + (", False" if target else ""))
    sched = ("    steps = EPOCHS * math.ceil(len(y) / BATCH_SIZE)\n"
             "    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, total_steps=steps)"
             if c.schedule == "onecycle" else "    scheduler = None")
    run_epoch = ("        train_loss, reached = train_epoch(model, optimizer, scheduler, x, y, generator, xt, yt)"
                 if target else "        train_loss = train_epoch(model, optimizer, scheduler, x, y, generator)")
    main = ["def main(data_dir=None, train_limit=TRAIN_LIMIT):",
            f"    device = {device}",
            "    x, y, xt, yt = (t.to(device) for t in load_mnist(data_dir, train_limit))",
            f"    torch.manual_seed(SEED)  # {_c(lang, 'seed_init')}",
            "    model = Net().to(device)",
            _torch_optimizer(c, lang), sched,
            "    generator = torch.Generator().manual_seed(SEED)",
            "    for epoch in range(1, EPOCHS + 1):", run_epoch,
            "        test_loss, accuracy = evaluate(model, xt, yt)",
            '        print(f"epoch {epoch}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, "',
            "              f\"test accuracy {accuracy:.2%}\")"]
    if target:
        main += ["        if reached:", "            break"]
    main.append('    print(f"final test accuracy: {accuracy:.2%}")')
    evaluate = ["@torch.no_grad()", "def evaluate(model, x, y):", f'    """{_c(lang, "evaluate")}"""',
                "    model.eval()", "    loss, correct = 0.0, 0",
                f"    for i in range(0, len(y), {EVAL_BATCH}):",
                f"        scores, labels = model(x[i:i + {EVAL_BATCH}]), y[i:i + {EVAL_BATCH}]",
                "        loss += loss_fn(scores, labels).item() * len(labels)",
                "        correct += (scores.argmax(1) == labels).sum().item()",
                "    model.train()", "    return loss / len(y), correct / len(y)"]
    uses_f = c.loss in ("ce", "mse") or parse_arch(c.arch)[0] in ("cnn", "lenet5")
    imports = ["import argparse", "import gzip", "import math", "from pathlib import Path", "", "import torch",
               *(["import torch.nn.functional as F"] if uses_f else []), "from torch import nn"]
    parts = [imports, settings, _data_torch(lang), _torch_model(c, lang), _torch_loss(c, lang), train, evaluate,
             main, _main_args(lang)]
    return _header(c, name, lang, "PyTorch", "torch, torchvision") + _join(parts)


def _join(parts: list[list[str]]) -> list[str]:
    lines: list[str] = []
    for i, part in enumerate(parts):
        lines += part
        if i < len(parts) - 1:
            lines += ["", ""] if part[0].startswith(("def ", "class ", "@")) or parts[i + 1][0].startswith(
                ("def ", "class ", "@", "if __name__")) else [""]
    return lines


# ---- NumPy (the hand-written network and kNN) -----------------------------------------------------------------

def _data_numpy(lang: str) -> list[str]:
    return [
        f'MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # {_c(lang, "download")}',
        *FILES,
        "",
        "",
        *_read_idx(lang, "np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * raw[3])"),
        "",
        "",
        "def load_mnist(data_dir=None, train_limit=None):",
        f'    """{_c(lang, "load")}"""',
        "    if data_dir is None:",
        '        data_dir = Path("data/MNIST/raw")',
        "        data_dir.mkdir(parents=True, exist_ok=True)",
        "        for name in FILES:",
        '            if not (data_dir / f"{name}.gz").is_file():',
        '                urllib.request.urlretrieve(f"{MIRROR}{name}.gz", data_dir / f"{name}.gz")',
        "    x, y, xt, yt = (read_idx(data_dir, name) for name in FILES)",
        "    return x[:train_limit], y[:train_limit].astype(np.int64), xt, yt.astype(np.int64)",
    ]


def _scratch_script(config: TrainConfig, name: str, lang: str) -> list[str]:
    c = config
    hidden = parse_arch(c.arch)[1][0]
    settings = [f"# ---- {_c(lang, 'settings')} ----",
                f"HIDDEN = {hidden}  # {_c(lang, 'hidden')}",
                f"LEARNING_RATE = {c.lr!r}  # {_c(lang, 'lr')}",
                f"BATCH_SIZE = {c.batch_size}  # {_c(lang, 'batch')}",
                f"EPOCHS = {c.epochs}  # {_c(lang, 'epochs')}",
                f"SEED = {c.seed}  # {_c(lang, 'seed')}",
                f"TRAIN_LIMIT = {c.train_subset}  # {_c(lang, 'limit')}"]
    if c.target_accuracy:
        settings += [f"TARGET_ACCURACY = {c.target_accuracy!r}  # {_c(lang, 'target')}",
                     f"CHECKS_PER_EPOCH = {c.evals_per_epoch}  # {_c(lang, 'evals')}"]
    model = [
        "def sigmoid(z):",
        f"    return 0.5 * (1.0 + np.tanh(0.5 * z))  # {_c(lang, 'sigmoid')}",
        "",
        "",
        "class Network:",
        '    """784 -> HIDDEN -> 10, sigmoid units, quadratic cost, SGD: backpropagation by hand."""',
        "",
        "    def __init__(self, seed):",
        f"        rng = np.random.default_rng(seed)  # {_c(lang, 'np_init')}",
        "        self.w1 = rng.normal(0.0, 784 ** -0.5, (784, HIDDEN)).astype(np.float32)",
        "        self.b1 = rng.normal(0.0, 1.0, HIDDEN).astype(np.float32)",
        "        self.w2 = rng.normal(0.0, HIDDEN ** -0.5, (HIDDEN, 10)).astype(np.float32)",
        "        self.b2 = rng.normal(0.0, 1.0, 10).astype(np.float32)",
        "",
        "    def forward(self, x):",
        "        a1 = sigmoid(x @ self.w1 + self.b1)",
        "        return a1, sigmoid(a1 @ self.w2 + self.b2)",
        "",
        "    def train_step(self, x, labels):",
        "        a1, a2 = self.forward(x)",
        "        y = np.eye(10, dtype=np.float32)[labels]",
        f"        loss = 0.5 * np.sum((a2 - y) ** 2) / len(x)  # {_c(lang, 'np_cost')}",
        f"        delta2 = (a2 - y) * a2 * (1.0 - a2) / len(x)  # {_c(lang, 'np_bp1')}",
        f"        delta1 = (delta2 @ self.w2.T) * a1 * (1.0 - a1)  # {_c(lang, 'np_bp2')}",
        f"        lr = np.float32(LEARNING_RATE)  # {_c(lang, 'np_step')}",
        "        self.w1 -= lr * (x.T @ delta1)",
        "        self.b1 -= lr * delta1.sum(axis=0)",
        "        self.w2 -= lr * (a1.T @ delta2)",
        "        self.b2 -= lr * delta2.sum(axis=0)",
        "        return float(loss)",
    ]
    shuffle = ["def randperm(n, rng):",
               f'    """{_c(lang, "np_perm")}"""',
               "    order, draws = np.arange(n), rng.randint(0, 2**32, size=max(n - 1, 0), dtype=np.uint64)",
               "    for i in range(n - 1):  # Fisher-Yates",
               "        j = i + int(draws[i]) % (n - i)",
               "        order[i], order[j] = order[j], order[i]",
               "    return order"]
    evaluate = ["def evaluate(net, x, y):", f'    """{_c(lang, "evaluate")}"""', "    loss, correct = 0.0, 0",
                f"    for i in range(0, len(y), {EVAL_BATCH}):",
                f"        _, a2 = net.forward(x[i:i + {EVAL_BATCH}])",
                f"        loss += 0.5 * np.sum((a2 - np.eye(10, dtype=np.float32)[y[i:i + {EVAL_BATCH}]]) ** 2)",
                f"        correct += int((a2.argmax(1) == y[i:i + {EVAL_BATCH}]).sum())",
                "    return loss / len(y), correct / len(y)"]
    target = bool(c.target_accuracy)
    main = ["def main(data_dir=None, train_limit=TRAIN_LIMIT):",
            "    x, y, xt, yt = load_mnist(data_dir, train_limit)",
            "    x, xt = x.reshape(len(x), 784) / np.float32(255), xt.reshape(len(xt), 784) / np.float32(255)",
            "    net = Network(SEED)",
            f"    order_rng = np.random.RandomState(SEED % 2**32)  # {_c(lang, 'np_order')}",
            "    steps = math.ceil(len(y) / BATCH_SIZE)"]
    if target:
        main.append(CHECKS)
    main += ["    for epoch in range(1, EPOCHS + 1):",
             f"        order, total, reached = randperm(len(y), order_rng), 0.0, False  # {_c(lang, 'shuffle')}",
             "        for step in range(steps):",
             "            batch = order[step * BATCH_SIZE:(step + 1) * BATCH_SIZE]",
             "            total += net.train_step(x[batch], y[batch])",
             f"            if not math.isfinite(total):  # {_c(lang, 'diverged')}",
             '                raise SystemExit(f"training diverged: the loss is {total}")']
    if target:
        main += ["            if step + 1 in checks and evaluate(net, xt, yt)[1] >= TARGET_ACCURACY:",
                 "                reached = True",
                 "                break"]
    main += ["        test_loss, accuracy = evaluate(net, xt, yt)",
             '        print(f"epoch {epoch}: train loss {total / (step + 1):.4f}, test loss {test_loss:.4f}, "',
             "              f\"test accuracy {accuracy:.2%}\")",
             "        if reached:", "            break",
             '    print(f"final test accuracy: {accuracy:.2%}")']
    imports = ["import argparse", "import gzip", "import math", "import urllib.request", "from pathlib import Path",
               "", "import numpy as np"]
    parts = [imports, settings, _data_numpy(lang), model, shuffle, evaluate, main, _main_args(lang)]
    return _header(c, name, lang, "NumPy", "numpy") + _join(parts)


def _knn_script(config: TrainConfig, name: str, lang: str) -> list[str]:
    c = config
    settings = [f"# ---- {_c(lang, 'settings')} ----", f"K = {c.k}  # {_c(lang, 'k')}",
                f'FEATURES = "{c.knn_features}"  # {_c(lang, "features")}',
                f"GRID = {c.knn_grid}  # {_c(lang, 'grid')}",
                f"TRAIN_LIMIT = {c.train_subset}  # {_c(lang, 'limit')}"]
    features = [
        "def features(images):",
        f'    """{_c(lang, "knn_features")}"""',
        "    if FEATURES == \"pixels\":",
        "        return images.reshape(len(images), 784).astype(np.float64) / 255.0",
        "    ink = np.zeros((len(images), 29, 29), dtype=np.int64)",
        "    ink[:, 1:, 1:] = images.astype(np.int64).cumsum(1).cumsum(2)  # ink[:, r, c]: sum above-left of (r, c)",
        f"    lo = [i * 28 // GRID for i in range(GRID)]  # {_c(lang, 'knn_cells')}",
        "    hi = [-(-(i + 1) * 28 // GRID) for i in range(GRID)]",
        "    cells = [ink[:, hi[r], hi[q]] - ink[:, lo[r], hi[q]] - ink[:, hi[r], lo[q]] + ink[:, lo[r], lo[q]]",
        "             for r in range(GRID) for q in range(GRID)]",
        "    return np.stack(cells, axis=1).astype(np.float64) / 255.0",
    ]
    search = [
        "def predict(train, train_labels, test, chunk=500):",
        f'    """{_c(lang, "knn_search")}"""',
        "    train_sq, preds = (train ** 2).sum(1), []",
        "    for i in range(0, len(test), chunk):",
        "        q = test[i:i + chunk]",
        "        d2 = train_sq[None, :] - 2.0 * q @ train.T + (q ** 2).sum(1)[:, None]",
        "        nearest = np.argpartition(d2, K - 1, axis=1)[:, :K]",
        "        votes = np.zeros((len(q), 10), dtype=np.int64)",
        "        for j in range(K):",
        "            votes[np.arange(len(q)), train_labels[nearest[:, j]]] += 1",
        f"        preds.append(votes.argmax(1))  # {_c(lang, 'knn_vote')}",
        "    return np.concatenate(preds)",
    ]
    main = ["def main(data_dir=None, train_limit=TRAIN_LIMIT):",
            "    x, y, xt, yt = load_mnist(data_dir, train_limit)",
            f"    train = features(x)  # {_c(lang, 'knn_fit')}",
            "    accuracy = float((predict(train, y, features(xt)) == yt).mean())",
            '    print(f"k = {K}, {len(y)} training images: test accuracy {accuracy:.2%}")',
            '    print(f"final test accuracy: {accuracy:.2%}")']
    imports = ["import argparse", "import gzip", "import urllib.request", "from pathlib import Path", "",
               "import numpy as np"]
    parts = [imports, settings, _data_numpy(lang), features, search, main, _main_args(lang)]
    return _header(c, name, lang, "NumPy", "numpy") + _join(parts)


# ---- the public functions ------------------------------------------------------------------------------------

BUILDERS = {"torch": _torch_script, "scratch": _scratch_script, "knn": _knn_script}


def script(config: TrainConfig, name: str = "run", lang: str = "en") -> str:
    """The run's training as one runnable .py file (validated first: a hostile config raises ConfigError)."""
    config = config.validated()
    lines = BUILDERS[config.family](config, name, lang if lang in LANGS else "en")
    return "\n".join(out for line in lines for out in _fit(line)) + "\n"


def _width(text: str) -> int:
    """Columns a line takes (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(line: str) -> list[str]:
    """A line too wide for its trailing comment: the comment goes on its own line above, same indent."""
    code, sep, comment = line.partition("  # ")
    if not sep or _width(line) <= WIDTH or code.lstrip().startswith(("#", '"')):
        return [line]
    indent = code[:len(code) - len(code.lstrip())]
    return [f"{indent}# {comment}", code]


def notebook(config: TrainConfig, name: str = "run", lang: str = "en") -> str:
    """The same program as a Jupyter notebook (.ipynb JSON built with nbformat): the docstring as a markdown
    cell, one code cell per top-level block, and a last cell that trains (set DATA to a folder, or None)."""
    import nbformat
    from nbformat import v4

    lines = script(config, name, lang).splitlines()
    end = lines.index('"""', 1)
    intro = "\n".join(lines[:end + 1]).strip('"').strip()
    body = lines[end + 1:lines.index('if __name__ == "__main__":')]
    cells, block = [v4.new_markdown_cell("# " + intro)], []
    for line in [*body, ""]:
        if line and not line[0].isspace() and block and block[-1] == "" and not _continues(block):
            cells.append(v4.new_code_cell("\n".join(block).strip()))
            block = []
        block.append(line)
    if "\n".join(block).strip():
        cells.append(v4.new_code_cell("\n".join(block).strip()))
    cells = [cell for cell in cells if cell.source.strip()]
    cells.append(v4.new_code_cell("DATA = None  # " + _c(lang if lang in LANGS else "en", "data_arg") +
                                  "\nmain(DATA)"))
    nb = v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
    nbformat.validate(nb)
    return nbformat.writes(nb)


def _continues(block: list[str]) -> bool:
    """True while the block so far ends in a decorator (it stays with the function that follows)."""
    code = [line for line in block if line.strip()]
    return bool(code) and code[-1].startswith("@")
