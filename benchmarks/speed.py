"""Speed, measured side by side in one run: the classic tutorial pipeline against core.

    python benchmarks/speed.py [--images 19200] [--repeats 3]

1. Training throughput (images/s) for mlp:128,64 and cnn at batch 64 with Adam: torchvision's MNIST
   dataset + ToTensor + Normalize + DataLoader(batch_size=64, shuffle=True), against core's
   preloaded tensors sliced by index (core.learn.training.train, evaluations excluded).
   Also, for the CNN: core without its channels-last layout (the loop's layout switched off, same run), and the
   share of the machine's peak: the training step's floating-point operations per image (counted by
   torch.utils.flop_counter) times images/s, against the best of a few large float32 matrix products with the
   same threads (the "measured peak").
   And without pooling before ReLU (training.pool_before_relu switched off: conv -> ReLU -> pool, same run).
2. Time to target of the two speedrun presets (training time, evaluations excluded), for --seeds; the CNN's
   also with ReLU before pooling, seed by seed, as the baseline of the same run.
3. Single-image predict latency: a 280x280 canvas through preprocessing and the model.
With --compile: the CNN's step through torch.compile (inductor, a C++ compiler), the compile time reported
apart; where it cannot compile, one line says why and the rest goes on.
Prints a table in Markdown, so the README can quote it.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.learn import training  # noqa: E402
from core.learn.config import TrainConfig  # noqa: E402
from core.learn.data import FILES, DataError, load_mnist, resolve_files  # noqa: E402
from core.learn.families.nets import build_model  # noqa: E402
from core.learn.presets import get_preset  # noqa: E402
from core.learn.training import predict_proba, train  # noqa: E402


def torchvision_root() -> str:
    """torchvision's MNIST wants the uncompressed files under ROOT/MNIST/raw: build that once in /tmp."""
    root = Path(tempfile.gettempdir()) / "mnist-lab-bench"
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for key, path in resolve_files().items():
        target = raw / FILES[key]
        if not target.exists():
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as src:
                target.write_bytes(src.read())
    return str(root)


def classic_images_per_s(arch: str, n_images: int, lr: float) -> float:
    """The pytorch/examples pipeline: Dataset + per-sample transforms + DataLoader."""
    from torchvision import datasets, transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    dataset = datasets.MNIST(torchvision_root(), train=True, download=False, transform=tf)
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
    torch.manual_seed(0)
    model = build_model(arch)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    seen, start = 0, time.perf_counter()
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        seen += len(y)
        if seen >= n_images:
            break
    return seen / (time.perf_counter() - start)


class Without:
    """The loop as it was before one of its speed-ups: channels-last layout or pooling before ReLU switched off."""

    def __init__(self, channels_last: bool = True, pool_first: bool = True):
        self.channels_last, self.pool_first = channels_last, pool_first

    def __enter__(self):
        self.saved = training._has_convolutions, training.pool_before_relu
        if not self.channels_last:  # every layout left as PyTorch makes it
            training._has_convolutions = lambda model: False
        if not self.pool_first:  # the model's own forward: conv -> ReLU -> pool
            training.pool_before_relu = lambda model: model

    def __exit__(self, *exc):
        training._has_convolutions, training.pool_before_relu = self.saved


def core_images_per_s(arch: str, n_images: int, lr: float, data, channels_last: bool = True,
                      pool_first: bool = True, batch_size: int = 64) -> float:
    config = TrainConfig(arch=arch, lr=lr, batch_size=batch_size, epochs=1, train_subset=n_images, device="cpu",
                         evals_per_epoch=1, eval_subset=100)
    with Without(channels_last, pool_first):
        final = list(train(config, data))[-1]
    return final["seen"] / final["train_seconds"]


def flops_per_image(arch: str, batch: int = 64) -> float:
    """Floating-point operations of one training step's forward and backward pass, per image."""
    from torch.utils.flop_counter import FlopCounterMode

    model = build_model(arch)
    x, y = torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() / batch


def peak_flops(size: int = 1024, repeats: int = 5) -> float:
    """The machine's measured float32 peak with the current threads: the best of a few size x size matmuls."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * size ** 3 / best


def compiled_images_per_s(n_steps: int = 200) -> tuple[float, float, float] | str:
    """(compile s, eager img/s, compiled img/s) of the CNN's step at batch 64 with Adam; a reason when it fails."""
    from core.learn.optim import LeanStep

    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    rates, compile_s = [], 0.0
    for compiled in (False, True):
        torch.manual_seed(0)
        model = build_model("cnn").to(memory_format=torch.channels_last)
        forward = model
        step = LeanStep(torch.optim.Adam(model.parameters(), lr=1e-2))
        if compiled:
            try:
                forward = torch.compile(model)
                t = time.perf_counter()
                step(torch.nn.functional.cross_entropy(forward(x), y))
                compile_s = time.perf_counter() - t
            except Exception as exc:  # no C++ compiler, an unsupported platform: say so and go on
                return f"torch.compile failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        for _ in range(10):
            step(torch.nn.functional.cross_entropy(forward(x), y))
        t = time.perf_counter()
        for _ in range(n_steps):
            step(torch.nn.functional.cross_entropy(forward(x), y))
        rates.append(64 * n_steps / (time.perf_counter() - t))
    return compile_s, rates[0], rates[1]


# Each speedrun's recipe before label smoothing (one-cycle Adam peaking at 0.01; the CNN's over 3 epochs): the
# baseline of its ratio
OLD_RECIPES = {"speedrun-mlp": {"label_smoothing": 0.0, "lr": 1e-2},
               "speedrun-cnn": {"label_smoothing": 0.0, "lr": 1e-2, "epochs": 3}}


def speedrun(name: str, data, seed: int = 0, **changes) -> dict:
    return list(train(get_preset(name).config.replace(device="cpu", seed=seed, **changes), data))[-1]


def speedruns(data, seeds: list[int]) -> None:
    """Time to target of the speedrun presets, per seed, each also with its recipe before label smoothing
    (OLD_RECIPES), seed by seed in the same run: the baseline of its ratio."""
    print("\n| preset | seed | target | reached | time to target (training s) | wall s incl. evaluations "
          "| same seed, the recipe before label smoothing: time to target s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    speedrun("speedrun-mlp", data, 0)  # a process's first training run pays one-time setup (~0.9 s): not timed
    for name in ("speedrun-mlp", "speedrun-cnn"):
        target, fast, slow = get_preset(name).config.target_accuracy, [], []
        for seed in seeds:
            final = speedrun(name, data, seed)
            ttt = final["time_to_target_s"]
            before = speedrun(name, data, seed, **OLD_RECIPES[name])["time_to_target_s"]
            base = "not reached" if before is None else f"{before:.2f}"
            slow.append(before if before is not None else float("inf"))
            fast.append(ttt if ttt is not None else float("inf"))
            print(f"| {name} | {seed} | {target:.1%} | {final['test_acc']:.2%} | "
                  f"{'not reached' if ttt is None else f'{ttt:.2f}'} | {final['seconds']:.2f} | {base} |", flush=True)
        line = f"| {name} | median of {len(seeds)} | | | **{statistics.median(fast):.2f}** | |"
        missed = sum(b == float("inf") for b in slow)
        before, now = statistics.median(slow), statistics.median(fast)
        line += (f" {before:.2f} ({before / now:.2f}x)" if before < float("inf") else " not reached")
        line += f"{f', missed by {missed} of {len(seeds)} seeds' if missed else ''} |"
        print(line, flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} after the speedruns")


def predict_latency_ms(model, repeats: int = 200) -> float:
    from core.learn.preprocess import canvas_to_mnist

    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[60:220, 130:150, :3] = 255  # a thick "1"
    canvas[60:80, 100:150, :3] = 255
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        predict_proba(model, canvas_to_mnist(canvas).tensor)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def machine() -> str:
    """The CPU's model name (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=19200, help="training images per throughput measurement")
    parser.add_argument("--repeats", type=int, default=3, help="throughput measurements per pipeline (best kept)")
    parser.add_argument("--skip-speedruns", action="store_true", help="only throughput and latency")
    parser.add_argument("--threads", default=f"{torch.get_num_threads()},1",
                        help="intra-op thread counts to measure throughput with (jobs in the app use 1)")
    parser.add_argument("--compile", action="store_true", help="also time the CNN through torch.compile")
    parser.add_argument("--seeds", default="0,1,2", help="seeds of each speedrun (default 0,1,2)")
    args = parser.parse_args()
    data = load_mnist()
    print(f"# MNIST Lab speed, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {machine()}, "
          f"{os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f} at the start\n")
    print("| model | threads | classic DataLoader img/s | core img/s | speed-up | core without channels-last img/s "
          "| core without pooling before ReLU img/s | share of measured peak |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    default_threads = torch.get_num_threads()
    for threads in (int(v) for v in args.threads.split(",")):
        torch.set_num_threads(threads)  # both pipelines get the same threads
        peak = peak_flops()
        for arch, lr in (("mlp:128,64", 1e-3), ("cnn", 1e-2)):
            # best of a few repeats each, so that a busy moment hurts neither side more
            classic = max(classic_images_per_s(arch, args.images, lr) for _ in range(args.repeats))
            fast = max(core_images_per_s(arch, args.images, lr, data) for _ in range(args.repeats))
            plain = unpooled = "–"
            if arch == "cnn":
                without = max(core_images_per_s(arch, args.images, lr, data, False) for _ in range(args.repeats))
                relu_first = max(core_images_per_s(arch, args.images, lr, data, pool_first=False)
                                 for _ in range(args.repeats))
                plain, unpooled = f"{without:,.0f}", f"{relu_first:,.0f} ({fast / relu_first:.2f}x)"
            share = fast * flops_per_image(arch) / peak
            print(f"| {arch} (batch 64, Adam) | {threads} | {classic:,.0f} | {fast:,.0f} | **{fast / classic:.1f}x** "
                  f"| {plain} | {unpooled} | {share:.0%} of {peak / 1e9:.0f} GFLOP/s |", flush=True)
    torch.set_num_threads(default_threads)
    if args.compile:
        result = compiled_images_per_s()
        if isinstance(result, str):
            print(f"\n{result}")
        else:
            compile_s, eager, compiled = result
            print(f"\ntorch.compile, cnn step at batch 64 ({torch.get_num_threads()} threads): compile "
                  f"{compile_s:.1f} s (apart), eager {eager:,.0f} img/s, compiled {compiled:,.0f} img/s "
                  f"({compiled / eager:.2f}x)")
    if not args.skip_speedruns:
        speedruns(data, [int(v) for v in args.seeds.split(",")])
    print("\n| predict one 280x280 drawing (preprocess + model) | median ms |")
    print("|---|---:|")
    for arch in ("mlp:128,64", "cnn"):
        print(f"| {arch} | {predict_latency_ms(build_model(arch).eval()):.2f} |")


if __name__ == "__main__":
    try:
        main()
    except DataError as exc:
        sys.exit(f"error: {exc}")
