"""The Class page and the class's parts of other pages (AppTest): the teacher link, the live table and charts,
the projector, the sidebar's join/leave/start, the settings link and locked controls, Chinese."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.lab import classes
from core.lab import workspaces as wss
from core.learn.config import TrainConfig
from core.learn.setup import to_setup
from tests.conftest import ROOT, new_workspace, plotly_specs
from ui.i18n import t


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    import ui.run_list

    monkeypatch.setattr(ui.run_list, "RUNS_DIR", tmp_path / "runs")


def app(path: str = "", lang: str = "en", ws: wss.Workspace | None = None, **params) -> AppTest:
    """The whole app opened on a page (`path` as the URL would say), with query parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["ws"] = (ws or wss.create()).id
    at.query_params["lang"] = lang
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    if path:
        at.switch_page(path)
        at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in ("markdown", "info", "warning", "success", "caption", "error")
                    for e in getattr(at, kind) if isinstance(e.value, str))


@pytest.fixture
def a_class(tiny_run):
    """A class with two students: ana has two runs (one with another learning rate), ben none."""
    cls, key = classes.create_class("7B maths")
    ana = new_workspace({"first": tiny_run})
    fast = TrainConfig(**{**tiny_run.config.to_dict(), "lr": 0.01})
    import dataclasses

    from core.lab.runfiles.folders import save_run

    save_run(dataclasses.replace(tiny_run, name="fast", config=fast), ana.runs_dir / "fast")
    classes.join(ana, cls.join_code, "ana")
    classes.join(wss.create(), cls.join_code, "ben")
    return cls, key, ana


def test_the_teacher_link_opens_the_class_table_and_both_charts(a_class, tiny_run):
    cls, key, _ = a_class
    at = app("views/class_view.py", teacher=key)
    assert "teacher" not in at.query_params  # the key leaves the URL at once
    df = at.dataframe[0].value
    assert list(df["Student"]) == ["ana", "ben"]
    ana = df.iloc[0]
    assert ana["Runs"] == 2 and ana["Best accuracy"] == pytest.approx(tiny_run.test_acc, abs=0.2)
    assert "mlp:32" in ana["Best settings"] and df.iloc[1]["Runs"] == 0
    specs = plotly_specs(at)
    assert len(specs["class_curves"]["data"]) == 1 and "class_parallel" not in specs  # only the open tab is built
    at.session_state["class_tab"] = at.tabs[1].label  # AppTest has no tab clicks: the tab's state chooses it
    at.run()
    specs = plotly_specs(at)
    (parcoords,) = specs["class_parallel"]["data"]
    assert parcoords["type"] == "parcoords" and len(parcoords["dimensions"][0]["values"]) == 2
    lrs = sorted(round(10 ** v, 4) for v in parcoords["dimensions"][0]["values"])
    assert lrs == [0.003, 0.01]
    assert classes.pretty_join_code(cls.join_code) in texts(at)


def test_the_curves_show_every_run_of_a_chosen_preset_or_of_the_class_setup(a_class, tiny_run):
    import dataclasses

    from core.lab.runfiles.folders import save_run
    from core.learn.presets import PRESETS

    cls, key, ana = a_class
    as_preset = PRESETS["mlp-adam"].config.replace(seed=7, device="cpu", train_subset=3000)  # seed aside: the preset
    save_run(dataclasses.replace(tiny_run, name="mine", config=as_preset), ana.runs_dir / "mine")
    classes.pin_setup(cls, to_setup(tiny_run.config.replace(lr=0.5)), ["arch", "batch_size"])  # "change the rate"
    at = app("views/class_view.py", teacher=key)
    mode = at.selectbox(key="class_curves_mode")
    assert mode.options == [t("class.curves.best"), t("class.curves.class_setup"),
                            t("class.curves.preset", preset="mlp-adam")]
    mode.set_value("mlp-adam").run()
    assert [d["name"] for d in plotly_specs(at)["class_curves"]["data"]] == ["ana · mine"]
    at.selectbox(key="class_curves_mode").set_value("class-setup").run()
    assert sorted(d["name"] for d in plotly_specs(at)["class_curves"]["data"]) == ["ana · fast", "ana · first"]
    classes.pin_setup(cls, None)
    at.run()  # unpinned: back to the best runs, no error
    assert not at.exception and at.selectbox(key="class_curves_mode").value == "best"


def test_without_the_teacher_link_the_page_shows_nothing_of_the_class(a_class):
    cls, key, ana = a_class
    for params in ({}, {"teacher": cls.join_code}, {"teacher": ana.id}, {"teacher": "ana"}, {"teacher": cls.id}):
        at = app("views/class_view.py", ws=ana, **params)
        assert not at.dataframe and not at.get("plotly_chart")
        shown = texts(at)
        assert t("class.no_key") in shown and "ben" not in shown and cls.join_code not in shown
        assert "you are in the class" not in shown.lower() or "ana" in shown  # a member sees only their own name


def test_a_teachers_workspace_link_alone_does_not_open_the_class(a_class):
    cls, key, _ = a_class
    teacher = wss.create()
    at = app("", ws=teacher, teacher=key)
    at.switch_page("views/class_view.py").run()
    assert at.dataframe[0].value.shape[0] == 2  # the tab that opened the teacher link sees the class
    at = app("views/class_view.py", ws=teacher)  # the workspace's link, as a projected address bar shows it
    assert not at.dataframe and t("class.no_key") in texts(at)


def test_project_a_students_run_read_only_on_evaluate(a_class):
    cls, key, ana = a_class
    at = app("views/class_view.py", teacher=key)
    before = sorted(p.name for p in ana.runs_dir.iterdir())
    pick = at.selectbox(key="class_project_pick")
    view = f"{cls.id}/{classes.members(cls)[0].id}/first"
    assert any(o.startswith("ana · first") for o in pick.options)
    pick.set_value(view).run()
    at.button(key="class_project_go").click().run()
    assert not at.exception, at.exception
    assert ana.id not in str(dict(at.query_params)) and at.query_params["view"].endswith("/first")
    assert at.session_state["evaluate_run"] == "📽 ana · first"
    assert at.selectbox(key="evaluate_run").options[0].startswith("📽 ana · first")
    assert any(e.value in t("class.projected", nickname="ana", run="first") for e in at.info)
    at.switch_page("views/runs.py").run()
    assert not at.exception
    assert sorted(p.name for p in ana.runs_dir.iterdir()) == before


def test_the_view_link_opens_nothing_without_the_teacher_key(a_class):
    cls, key, ana = a_class
    member = classes.members(cls)[0]
    at = app("views/evaluate.py", view=f"{cls.id}/{member.id}/first")
    assert "view" not in at.query_params
    assert all("📽" not in o for o in at.selectbox(key="evaluate_run").options) if at.selectbox else True


def test_sidebar_join_leave_and_start_a_class():
    cls, _ = classes.create_class("7B")
    ws = wss.create()
    at = app("", ws=ws)
    at.text_input(key="class_join_code").input("zzz-zzz")
    at.text_input(key="class_join_nick").input("ana")
    at.button(key="class_join").click().run()
    assert t("error.class_code_unknown", given="zzzzzz") in texts(at)
    at.text_input(key="class_join_code").input(classes.pretty_join_code(cls.join_code))
    at.button(key="class_join").click().run()
    assert classes.class_of(ws) == cls and "ana" in texts(at)
    at.button(key="class_leave").click().run()
    assert classes.class_of(ws) is None
    at.text_input(key="class_new_name").input("8A").run()
    at.button(key="class_start").click().run()
    (new,) = [c for c in classes.all_classes() if c.name == "8A"]
    link = next(c.value for c in at.code if "teacher=" in c.value)
    assert classes.find_by_teacher_key(link.split("teacher=")[1]) == new
    at.switch_page("views/class_view.py").run()
    assert at.session_state["class_created"][0] == new.id and not at.exception


def form_value(at: AppTest, field: str):
    return at.session_state[f"train_{field}"]


def test_a_settings_link_fills_every_control_of_the_train_page():
    config = TrainConfig(arch="mlp:256,32", activation="tanh", loss="hinge", optimizer="momentum", lr=0.02,
                         batch_size=128, epochs=3, schedule="onecycle", seed=42, l2=1e-4)
    at = app("views/train.py", setup=to_setup(config))
    assert "setup" not in at.query_params
    expected = {"arch_kind": "mlp", "widths": "256,32", "activation": "tanh", "loss": "hinge", "optimizer": "momentum",
                "lr": 0.02, "batch_size": 128, "epochs": 3, "schedule": "onecycle", "seed": 42, "l2": 1e-4}
    assert {f: form_value(at, f) for f in expected} == expected
    assert at.select_slider(key="train_lr").value == 0.02 and at.number_input(key="train_seed").value == 42
    assert not at.error and t("class.setup.applied", summary="").split("{")[0][:20] in texts(at)


@pytest.mark.parametrize("bad", ["garbage", "arch=mlp:64;lr=1e9", "arch=mlp:64;epochs=-3", "arch=<script>"])
def test_a_bad_settings_link_opens_the_defaults_with_a_message(bad):
    at = app("views/train.py", lang="zh", setup=bad)
    assert not at.exception and not at.error
    assert at.session_state["train_preset"] == "mlp-adam" and form_value(at, "lr") == 1e-3
    assert "这个设置链接无法使用" in " ".join(w.value for w in at.warning)


def test_pinned_setup_and_locked_controls_on_a_students_train_page():
    cls, _ = classes.create_class("7B")
    pinned = to_setup(TrainConfig(arch="mlp:64", optimizer="sgd", lr=0.1, batch_size=32, epochs=2))
    classes.pin_setup(cls, pinned, ["arch", "optimizer", "batch_size"])
    ws = wss.create()
    classes.join(ws, cls.join_code, "ana")
    at = app("views/train.py", ws=ws)
    picker = at.selectbox(key="train_preset")
    assert picker.options[0] == t("class.setup.preset") and picker.value == "mlp-adam"  # offered, not forced
    assert not at.get("button") or all(b.key != "class_use_setup" for b in at.button)  # an entry, not a button
    picker.set_value("class-setup").run()
    assert t("class.setup.pinned", summary="").split(":")[0] in texts(at)
    assert form_value(at, "optimizer") == "sgd" and form_value(at, "lr") == 0.1 and form_value(at, "widths") == "64"
    at.select_slider(key="train_lr").set_value(0.01).run()
    at.select_slider(key="train_batch_size").set_value(256).run()  # locked: it goes back
    assert form_value(at, "lr") == 0.01 and form_value(at, "batch_size") == 32
    assert any("st-key-train_batch_size" in h.proto.body for h in at.get("html"))
    assert "batch size" in texts(at)
    classes.pin_setup(cls, None)  # unpinned: the entry goes, the picker says the settings are the student's own
    at.run()
    assert not at.exception and at.selectbox(key="train_preset").value == "custom"
    assert t("class.setup.preset") not in at.selectbox(key="train_preset").options


def test_the_class_page_in_chinese_has_no_english_sentence(a_class):
    cls, key, _ = a_class
    at = app("views/class_view.py", lang="zh", teacher=key)
    df = at.dataframe[0].value
    assert "学生" in df.columns
    shown = texts(at) + " ".join(df.columns)
    assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{4,} [A-Za-z]{4,}", shown.replace("7B maths", "")), shown


def test_many_curves_are_drawn_as_one_trace_per_colour_with_gaps():
    from ui.figures.classroom import COLOURS, curves_figure

    lines = [(f"s{i}", [(0.25, 0.5 + i / 100), (0.5, 0.6 + i / 100)]) for i in range(40)]
    fig = curves_figure(lines)
    assert len(fig.data) == len(COLOURS) and not fig.layout.showlegend  # 10 traces for the browser, not 40
    names = [n for trace in fig.data for n in trace.text if n is not None]
    assert sorted(set(names)) == sorted(f"s{i}" for i in range(40)) and len(names) == 80  # hover still names each
    first = fig.data[0]
    assert list(first.y[:3]) == [0.5, 0.6, None] and first.text[0] == "s0" and first.text[3] == "s10"
    assert curves_figure(lines) is fig  # the page's redraws every 3 s reuse it
    assert len(curves_figure(lines[:3]).data) == 3 and curves_figure(lines[:3]).layout.showlegend
