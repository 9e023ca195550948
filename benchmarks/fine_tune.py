"""Fine-tuning on the class drawings: does it learn their handwriting, and what does MNIST lose?

    python benchmarks/fine_tune.py [--runs DIR] [--drawings 22,100] [--repeats 3] [--styles thick,slant,corner]
                                   [--no-old] [--also PRESET,...]

1. The two seed runs, trained on all of MNIST with the command line (or loaded from --runs DIR when it
   already holds them): `cnn` = preset cnn-adam with a one-cycle schedule for 4 epochs (about 99.1%, the
   "good CNN" of the issue), `mlp` = preset mlp-adam as it is (mlp:128,64, 5 epochs, about 97.8%). --also
   adds runs of other presets as they are (e.g. mlp-mse-sgd,linear-hinge,numpy-sigmoid: other optimisers
   and losses; the NumPy network gets replay but no anchoring).
2. Class sets of "drawings in another handwriting": MNIST test digits from number 9000 on (one slice per
   repeat, never the same digits twice), redrawn in a style MNIST does not have. `thick`: strokes dilated
   by a 3x3 brush; `slant`: thick, leaning 22 degrees and shifted 2 px; `corner`: thick and pushed 5-6 px
   into a corner (tests/test_classset.py's odd_style). The digits themselves stay in MNIST's test set, so
   the test accuracy is of 10,000 images of which at most --drawings were redrawn.
3. For each run, style, size and repeat: core.lab.classset.fine_tune_outcome with the defaults, exactly as a
   worker runs the Draw page's job (a quarter of each digit's drawings held back, MNIST replay on), and,
   unless --no-old, the settings before the issue "Fine-tuning that helps" (20 passes at the run's own
   rate, one replay image per drawing, no anchoring) on the same split.

Prints, in Markdown, the mean over repeats of the accuracy on the drawings trained on and on the held-back
ones before -> after, and the change of MNIST test accuracy (mean and worst) in points.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.lab import classset  # noqa: E402
from core.lab.runfiles.folders import load_run  # noqa: E402
from core.learn.data import load_mnist  # noqa: E402

SEED_RUNS = {
    "cnn": ["--preset", "cnn-adam", "--schedule", "onecycle", "--epochs", "4"],
    "mlp": ["--preset", "mlp-adam"],
}
OLD = {"epochs": 20, "lr_factor": 1.0, "replay_ratio": 1, "anchor": 0.0}  # the settings before the issue
FIRST = 9000  # class sets are redrawn from MNIST test digits FIRST, FIRST+1, ...


def thick(images: np.ndarray) -> np.ndarray:
    """Every stroke dilated by a 3x3 brush: a felt-tip instead of a pencil."""
    x = torch.from_numpy(images).float().unsqueeze(1)
    return nn.functional.max_pool2d(x, 3, stride=1, padding=1).squeeze(1).clamp(0, 255).to(torch.uint8).numpy()


def slant(images: np.ndarray, degrees: float = 22.0, shift: tuple[int, int] = (2, 2)) -> np.ndarray:
    """Thick strokes, leaning `degrees` and shifted by `shift` pixels (down, right)."""
    x = torch.from_numpy(thick(images)).float().unsqueeze(1)
    a = np.deg2rad(degrees)
    theta = torch.tensor([[np.cos(a), -np.sin(a), shift[1] * 2 / 28],
                          [np.sin(a), np.cos(a), shift[0] * 2 / 28]], dtype=torch.float32)
    grid = nn.functional.affine_grid(theta.expand(len(x), 2, 3), list(x.shape), align_corners=False)
    out = nn.functional.grid_sample(x, grid, align_corners=False)
    return out.squeeze(1).round().clamp(0, 255).to(torch.uint8).numpy()


def corner(images: np.ndarray) -> np.ndarray:
    """Thick strokes pushed 5 px down and 6 px right (what the tests call odd_style)."""
    x = torch.from_numpy(thick(images)).float().unsqueeze(1)
    shifted = torch.roll(x, shifts=(5, 6), dims=(2, 3))
    shifted[:, :, :5, :] = 0
    shifted[:, :, :, :6] = 0
    return shifted.squeeze(1).clamp(0, 255).to(torch.uint8).numpy()


STYLES = {"thick": thick, "slant": slant, "corner": corner}


def seed_run(folder: Path, name: str):
    """The seed run `name` from `folder`, trained there first with the command line if it is missing."""
    out = folder / name
    options = SEED_RUNS.get(name, ["--preset", name])
    if not (out / "model.safetensors").is_file():
        print(f"training {name}: python -m core train {' '.join(options)} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "core", "train", *options, "--out", str(out)], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
        print(f"  {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return load_run(out)


def class_set(data, style: str, n: int, repeat: int) -> tuple[np.ndarray, np.ndarray]:
    start = FIRST + repeat * n
    if start + n > len(data.test_labels):
        raise SystemExit(f"--drawings {n} x --repeats leaves MNIST's test set: use fewer")
    images = data.test_images[start:start + n].numpy()
    return STYLES[style](images), data.test_labels[start:start + n].numpy()


def measure(run, data, images, labels, settings: dict | None) -> dict:
    """fine_tune_outcome with the defaults (settings None) or with the old settings."""
    if settings is None:
        _, _, o = classset.fine_tune_outcome(run, images, labels, data)
    else:
        _, _, o = classset.fine_tune_outcome(run, images, labels, data, epochs=settings["epochs"],
                                             lr=run.config.lr * settings["lr_factor"],
                                             replay_ratio=settings["replay_ratio"], anchor=settings["anchor"])
    return o


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", help="folder holding (or to hold) the seed runs cnn/ and mlp/ (default: a temp folder)")
    p.add_argument("--drawings", default="22,100", help="class set sizes, comma-separated")
    p.add_argument("--repeats", type=int, default=3, help="class sets per size and style (different digits)")
    p.add_argument("--styles", default=",".join(STYLES), help="handwriting styles, comma-separated")
    p.add_argument("--no-old", action="store_true", help="skip the settings before the issue")
    p.add_argument("--also", default="", help="more runs: presets trained as they are, comma-separated")
    args = p.parse_args()
    torch.set_num_threads(1)  # as in a worker
    folder = Path(args.runs or Path(tempfile.gettempdir()) / "mnist-lab-fine-tune-bench")
    folder.mkdir(parents=True, exist_ok=True)
    data = load_mnist()
    runs = {name: seed_run(folder, name) for name in [*SEED_RUNS, *filter(None, args.also.split(","))]}
    sizes = [int(v) for v in args.drawings.split(",")]
    styles = args.styles.split(",")
    lr_text = f"run lr x {classset.FT_LR_FACTOR:g}"
    print(f"Defaults: {classset.FT_EPOCHS} passes, {lr_text}, {classset.REPLAY_RATIO} MNIST images per drawing, "
          f"anchor {classset.ANCHOR:g}, {classset.HELD_BACK:.0%} of each digit held back.  "
          f"Old: {OLD['epochs']} passes, run lr, 1 MNIST image per drawing, no anchor.\n")
    print("| run | MNIST before | style | drawings (trained + held back) | settings | trained on: before → after "
          "| held back: before → after | MNIST change, mean (worst) | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        for style in styles:
            for n in sizes:
                for label, settings in (("defaults", None), ("old", OLD)):
                    if settings is not None and args.no_old:
                        continue
                    rows, t0 = [], time.perf_counter()
                    for repeat in range(args.repeats):
                        images, labels = class_set(data, style, n, repeat)
                        rows.append(measure(run, data, images, labels, settings))
                    seconds = (time.perf_counter() - t0) / args.repeats
                    mean = {k: float(np.mean([r[k] for r in rows])) for k in
                            ("before", "after", "held_before", "held_after", "test_after", "trained", "held_back")}
                    drops = [100 * (r["test_after"] - r["test_before"]) for r in rows]
                    print(f"| {name} | {rows[0]['test_before']:.2%} | {style} | {n} ({mean['trained']:.0f} + "
                          f"{mean['held_back']:.0f}) | {label} | {mean['before']:.0%} → {mean['after']:.0%} | "
                          f"{mean['held_before']:.0%} → {mean['held_after']:.0%} | {np.mean(drops):+.2f} "
                          f"({min(drops):+.2f}) | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
