"""core.lab.classes and core.learn.setup: join codes, teacher keys, members, the pinned setup, the shared link,
the command line, and core.lab.classwork reading students' runs without touching them."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

import pytest

from core.lab import classes, classwork
from core.lab import workspaces as wss
from core.lab.classes import ClassError
from core.learn.config import ConfigError, TrainConfig
from core.learn.setup import from_setup, to_setup
from tests.conftest import ROOT, new_workspace


def test_a_class_has_a_short_join_code_and_an_unguessable_teacher_key():
    teacher = wss.create()
    cls, key = classes.create_class("  7B   maths ", teacher=teacher)
    assert cls.name == "7B maths"
    assert len(cls.join_code) == 6 and all(c in wss.CODE_ALPHABET for c in cls.join_code)
    assert len(key) >= 22  # 16 random bytes, url-safe base64
    assert classes.find_by_join_code(classes.pretty_join_code(cls.join_code).upper()) == cls
    assert classes.find_by_teacher_key(key) == cls
    assert key not in (cls.folder / "class.json").read_text()  # only its hash is kept
    assert classes.taught_by(teacher) == [cls] and key not in (teacher.folder / "settings.json").read_text()
    other, other_key = classes.create_class("8A")
    assert other.join_code != cls.join_code and other_key != key
    assert [c.name for c in classes.all_classes()] == ["7B maths", "8A"]


def test_no_student_visible_value_opens_the_teacher_page():
    cls, key = classes.create_class("7B")
    student = wss.create()
    _, me = classes.join(student, cls.join_code, "ana")
    for guess in (cls.join_code, classes.pretty_join_code(cls.join_code), student.id, student.code, "ana", cls.id,
                  me.id, cls.name, "", key[:-1], key + "x", key.upper(), "../" + key, "x" * 10_000):
        with pytest.raises(ClassError) as err:
            classes.find_by_teacher_key(guess)
        assert err.value.code == "class_key_unknown"
        assert not classes.is_teacher(cls, guess)
    assert classes.is_teacher(cls, key)


def test_join_nicknames_leave_and_membership():
    cls, _ = classes.create_class("7B")
    ana, ben = wss.create(), wss.create()
    _, a = classes.join(ana, cls.join_code, " Ana ")
    assert a.nickname == "Ana" and classes.class_of(ana) == cls
    with pytest.raises(ClassError) as err:
        classes.join(ben, cls.join_code, "ANA")  # unique in the class, whatever the case
    assert err.value.code == "class_nickname_taken"
    for bad in ("", "   ", "x" * 25, "\x00\x01"):
        with pytest.raises(ClassError) as err:
            classes.join(ben, cls.join_code, bad)
        assert err.value.code == "class_nickname_bad"
    classes.join(ben, cls.join_code, "Ben")
    _, again = classes.join(ana, cls.join_code, "Ana B")  # joining again renames, keeps the member id
    assert again.id == a.id
    assert [(m.nickname, m.workspace) for m in classes.members(cls)] == [("Ana B", ana.id), ("Ben", ben.id)]
    classes.leave(ana)
    assert classes.class_of(ana) is None and [m.nickname for m in classes.members(cls)] == ["Ben"]
    classes.leave(ana)  # twice: nothing to do
    for code, reason in (("abc", "class_code_malformed"), ("zzzzzz", "class_code_unknown"),
                         ("../../x", "class_code_malformed")):
        with pytest.raises(ClassError) as err:
            classes.join(ana, code, "Ana")
        assert err.value.code == reason


def test_joining_another_class_leaves_the_first():
    first, _ = classes.create_class("first")
    second, _ = classes.create_class("second")
    ws = wss.create()
    classes.join(ws, first.join_code, "ana")
    classes.join(ws, second.join_code, "ana")
    assert classes.class_of(ws) == second and classes.members(first) == []


def test_a_class_holds_at_most_class_size_students(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_CLASS_SIZE", "2")
    cls, _ = classes.create_class("small")
    first = wss.create()
    classes.join(first, cls.join_code, "a")
    classes.join(wss.create(), cls.join_code, "b")
    with pytest.raises(ClassError) as err:
        classes.join(wss.create(), cls.join_code, "c")
    assert err.value.code == "class_full" and len(classes.members(cls)) == 2
    classes.join(first, cls.join_code, "a2")  # a member renaming is no new member


def _join_many(args):
    home, code, n = args
    os.environ["MNIST_LAB_HOME"] = home
    classes.join(wss.create(), code, f"student {n}")


def test_joins_from_many_processes_at_once_all_land(lab_home):
    cls, _ = classes.create_class("busy")
    with multiprocessing.get_context("fork").Pool(6) as pool:
        pool.map(_join_many, [(str(lab_home), cls.join_code, n) for n in range(24)])
    assert sorted(m.nickname for m in classes.members(cls)) == sorted(f"student {n}" for n in range(24))
    assert not [p for p in cls.folder.iterdir() if p.name.endswith(".tmp")]


def test_pinned_setup_and_locked_controls():
    cls, _ = classes.create_class("7B")
    setup = to_setup(TrainConfig(arch="mlp:64", lr=0.1, optimizer="sgd", epochs=2))
    cls = classes.pin_setup(cls, setup, ["arch", "optimizer", "batch_size"])
    assert classes.get(cls.id).pinned == setup and classes.get(cls.id).locked == ("arch", "optimizer", "batch_size")
    with pytest.raises(ConfigError):
        classes.pin_setup(cls, "arch=mlp:0")
    with pytest.raises(ClassError):
        classes.pin_setup(cls, setup, ["device"])
    assert classes.pin_setup(cls, None).pinned is None and classes.get(cls.id).locked == ()


# ---- the settings link --------------------------------------------------------------------------------------

@pytest.mark.parametrize("config", [
    TrainConfig(arch="cnn", loss="hinge", optimizer="momentum", lr=0.02, batch_size=128, epochs=3,
                schedule="onecycle", seed=7, l2=1e-4),
    TrainConfig(arch="mlp:256,128,64", activation="tanh", lr=3e-4, seed=2**31 - 1),
    TrainConfig(arch="cnn", label_smoothing=0.1, lr=0.02, batch_size=256, epochs=2, schedule="onecycle"),
    TrainConfig(arch="scratch:30", activation="sigmoid", loss="mse", optimizer="sgd", lr=3.0, batch_size=10),
    TrainConfig(arch="knn", k=5, knn_features="pixels"),
])
def test_a_setup_link_round_trips_every_form_setting(config):
    text = to_setup(config)
    assert len(text) < 200 and from_setup(text) == from_setup(to_setup(from_setup(text)))
    back = from_setup(text)
    for name in set(config.settings()) - {"device", "target_accuracy", "train_subset", "eval_subset",
                                          "evals_per_epoch"}:
        assert getattr(back, name) == getattr(config, name), name


@pytest.mark.parametrize("text", [
    "", "garbage", "arch=mlp:64;lr=abc", "arch=mlp:64;lr=1e9", "arch=mlp:64;lr=nan", "arch=mlp:64;lr=-1",
    "arch=mlp:64;epochs=100000", "arch=mlp:64;batch=0", "arch=rm -rf", "lr=0.1", "arch=mlp:64;device=cuda",
    "arch=mlp:64;opt=adam;opt=sgd", "arch=mlp:99999999", "arch=mlp:64;seed=-3", "arch=mlp:64;" + "x" * 500,
    "arch=mlp:64;opt=<script>", "arch=mlp:64;loss=__import__('os')", "arch=cnn;ls=0.9", "arch=cnn;ls=-0.1",
])
def test_a_bad_or_hostile_setup_link_is_one_friendly_reason(text):
    with pytest.raises(ConfigError) as err:
        from_setup(text)
    assert err.value.code and len(str(err.value)) < 300


# ---- the command line -----------------------------------------------------------------------------------------

def _cli(*args, home):
    env = {**os.environ, "MNIST_LAB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_command_line_creates_and_lists_classes(lab_home):
    made = _cli("classes", "create", "7B maths", home=lab_home)
    assert made.returncode == 0, made.stderr
    key = made.stdout.split("?teacher=")[1].split()[0]
    cls = classes.find_by_teacher_key(key)
    assert classes.pretty_join_code(cls.join_code) in made.stdout
    listed = _cli("classes", "list", home=lab_home)
    assert listed.returncode == 0 and "7B maths" in listed.stdout and key not in listed.stdout
    bad = _cli("classes", "create", "x" * 200, home=lab_home)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert _cli("classes", "create", home=lab_home).returncode == 2


def test_command_line_gives_a_class_a_new_teacher_key_and_the_old_one_stops_working(lab_home):
    cls, old = classes.create_class("7B maths")
    for name in (cls.join_code.upper(), classes.pretty_join_code(cls.join_code), cls.id):
        made = _cli("classes", "rekey", name, home=lab_home)
        assert made.returncode == 0, made.stderr
        key = made.stdout.split("?teacher=")[1].split()[0]
        assert classes.find_by_teacher_key(key) == cls and key != old
        for stale in (old,):
            with pytest.raises(ClassError):
                classes.find_by_teacher_key(stale)
        old = key
    assert len(list((lab_home / "classes" / "keys").iterdir())) == 1  # the old keys' files are gone
    for bad in (("classes", "rekey"), ("classes", "rekey", "zzz-zzz"), ("classes", "rekey", "0" * 12)):
        out = _cli(*bad, home=lab_home)
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
    assert classes.find_by_teacher_key(old) == cls  # a failed rekey changes nothing


def test_a_run_is_matched_to_its_preset_and_to_the_class_setup_by_its_settings():
    from core.learn.presets import PRESETS

    for name, preset in PRESETS.items():  # another seed, device or subset is still the preset
        assert classwork.preset_of(preset.config.replace(seed=9, device="cpu", train_subset=500)) == name
    assert classwork.preset_of(PRESETS["mlp-adam"].config.replace(lr=0.01)) is None
    lesson = classwork.setup_matcher("arch=mlp:64;opt=sgd;lr=0.1;batch=32", ("arch", "optimizer"))
    assert lesson(TrainConfig(arch="mlp:64", optimizer="sgd", lr=0.5, seed=3))  # only the unlocked rate changed
    assert not lesson(TrainConfig(arch="mlp:64", optimizer="adam", lr=0.1))
    exact = classwork.setup_matcher("arch=mlp:64;opt=sgd;lr=0.1;batch=32")  # no locks: that recipe exactly
    assert exact(TrainConfig(arch="mlp:64", optimizer="sgd", lr=0.1, batch_size=32, seed=4))
    assert not exact(TrainConfig(arch="mlp:64", optimizer="sgd", lr=0.5, batch_size=32))
    assert classwork.setup_matcher(None) is None and classwork.setup_matcher("garbage") is None


# ---- reading the class's work -----------------------------------------------------------------------------------

def test_class_work_reads_runs_and_never_writes_a_students_folder(tiny_run):
    cls, _ = classes.create_class("7B")
    ws = new_workspace({"first": tiny_run, "second": tiny_run})
    (ws.runs_dir / "half-saved").mkdir()  # not a run: not listed
    classes.join(ws, cls.join_code, "ana")
    before = {p: p.stat().st_mtime_ns for p in ws.folder.rglob("*")}
    (work,) = classwork.class_work(cls)
    assert work.member.nickname == "ana" and [r.name for r in work.runs] == ["first", "second"]
    assert work.best.test_acc == pytest.approx(tiny_run.test_acc) and work.best.config == tiny_run.config
    assert work.runs[0].curve and work.runs[0].curve[-1][1] == pytest.approx(tiny_run.test_acc)
    assert work.live is None and work.last_active is not None
    assert {p: p.stat().st_mtime_ns for p in ws.folder.rglob("*")} == before
    assert classwork.read_run(ws.runs_dir / "first") is classwork.read_run(ws.runs_dir / "first")  # cached
