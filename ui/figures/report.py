"""Lab reports: one self-contained HTML file per run (or per comparison), plotly.js and images inlined."""

from __future__ import annotations

import dataclasses
import html
from datetime import datetime

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from core.lab.runfiles.folders import safe_name
from core.learn import families
from core.learn.config import TrainConfig
from core.learn.data import MNIST
from core.learn.evaluation import Predictions, snapshots, snapshots_fit, test_predictions
from core.learn.experiments import differing_fields
from core.learn.metrics import confusion_matrix, misclassified, per_class
from ui.figures.cards import digit_card, png_base64
from ui.figures.evaluate import confusion_figure, curves_figure
from ui.i18n import t

MISTAKES_SHOWN = 24  # most confident mistakes pictured in a lab report
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans SC","PingFang SC",sans-serif;
  margin:0;color:#1d1d1f;background:#fafafa;line-height:1.5}
main{max-width:1100px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{margin:0 0 4px;font-size:1.9em} h2{margin-top:1.8em;border-bottom:2px solid #eee;padding-bottom:4px}
.meta{color:#666;margin:0 0 18px} .explain{color:#444;max-width:60em}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid #e3e3e3;border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:1.6em} .card span{color:#666;font-size:.9em}
table{border-collapse:collapse;margin:8px 0} th,td{border:1px solid #e3e3e3;padding:4px 10px;text-align:left}
th{background:#f4f4f6} td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.diff td{background:#fff6d6} td.best{font-weight:bold;background:#e8f5e9}
.gallery{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;text-align:center;font-size:.85em;color:#333} figure img{image-rendering:pixelated;display:block}
footer{margin-top:36px;color:#888;font-size:.85em}
"""


def _e(value) -> str:
    return html.escape(str(value))


def _fig(fig: go.Figure, div_id: str) -> str:
    """A figure as a <div> plus the script drawing it; plotly.js itself is in the page head, once."""
    return fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG, div_id=div_id)


def _page(title: str, body: str, lang: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
        f"<style>{CSS}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _label(key: str, fallback: str, lang: str) -> str:
    try:
        return t(key, lang)
    except KeyError:
        return fallback


def _value(name: str, value, lang: str) -> str:
    """A setting's value as a student reads it (None means 'all' for subsets, 'none' otherwise)."""
    if value is None:
        return t("report.all", lang) if name == "train_subset" else t("report.none", lang)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _seconds(s: float | None) -> str:
    if s is None:
        return "–"
    return f"{s:.1f} s" if s < 120 else f"{int(s // 60)} min {int(s % 60):02d} s"


def _status(status: str, lang: str) -> str:
    return _label(f"report.status.{status}", status, lang)


def _parameters(model) -> int | None:
    return families.of_model(model).parameters(model)


def _cards(items: list[tuple[str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for k, v in items) + "</div>"


def _per_class_table(rows: list[dict], lang: str) -> str:
    head = [t("evaluate.pc.digit", lang), t("evaluate.pc.support", lang), t("evaluate.pc.correct", lang),
            t("evaluate.pc.recall", lang), t("evaluate.pc.precision", lang), t("evaluate.pc.f1", lang)]
    body = "".join(
        f"<tr><td>{r['digit']}</td><td class=num>{r['support']}</td><td class=num>{r['correct']}</td>"
        f"<td class=num>{r['recall']:.1%}</td><td class=num>{r['precision']:.1%}</td>"
        f"<td class=num>{r['f1']:.3f}</td></tr>"
        for r in rows
    )
    return "<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + f"</tr>{body}</table>"


def _mistakes_gallery(pred: Predictions, data: MNIST, lang: str, n: int) -> str:
    idx = misclassified(pred.probs, pred.labels)[:n].tolist()
    if not idx:
        return f"<p>{_e(t('report.mistakes.none', lang))}</p>"
    figures = []
    for i in idx:
        true, guess = int(pred.labels[i]), int(pred.preds[i])
        card = digit_card(data.test_images[i], pred.probs[i], true=true)
        caption = t("report.mistake.caption", lang, true=true, pred=guess, conf=f"{float(pred.confidence[i]):.0%}")
        figures.append(
            f'<figure><img src="data:image/png;base64,{png_base64(card)}" width="{card.width}" '
            f'height="{card.height}" alt="{_e(caption)}"><figcaption>{_e(caption)}<br>#{i}</figcaption></figure>'
        )
    return '<div class="gallery">' + "".join(figures) + "</div>"


def _date(when: datetime | None) -> str:
    return (when or datetime.now()).strftime("%Y-%m-%d %H:%M")


def lab_report_html(run, data: MNIST, predictions: Predictions | None = None, lang: str = "en",
                    when: datetime | None = None, mistakes: int = MISTAKES_SHOWN) -> str:
    """The lab report of one run as a self-contained HTML page (settings, curves, matrix, scores, mistakes)."""
    pred = predictions if predictions is not None else test_predictions(run.model, data)
    cm = pred.confusion
    rows = per_class(cm)
    n_mistakes = int((pred.preds != pred.labels).sum())
    params = _parameters(run.model)
    summary = [
        (t("report.summary.acc", lang), f"{pred.accuracy:.2%}"),
        (t("report.summary.mistakes", lang), f"{n_mistakes} / {len(pred.labels)}"),
        (t("report.summary.time", lang), _seconds(run.seconds)),
        (t("report.summary.status", lang), _status(run.status, lang)),
    ]
    if params is not None:
        summary.append((t("report.summary.params", lang), f"{params:,}"))
    settings = "".join(
        f"<tr><td>{_e(_label(f'report.field.{k}', k, lang))} <code>{_e(k)}</code></td>"
        f"<td>{_e(_value(k, v, lang))}</td></tr>"
        for k, v in run.config.to_dict().items() if k in run.config.settings()  # only what this learner has
    )
    title = t("report.title", lang, name=run.name)
    body = f"""
<h1>{_e(title)}</h1>
<p class="meta">{_e(t("report.made", lang, date=_date(when), n=len(pred.labels)))}</p>
{_cards(summary)}
<h2>{_e(t("report.settings", lang))}</h2>
<p class="explain">{_e(t("report.settings.explain", lang))}</p>
<table><tr><th>{_e(t("report.setting", lang))}</th><th>{_e(t("report.value", lang))}</th></tr>{settings}</table>
<h2>{_e(t("report.curves", lang))}</h2>
<p class="explain">{_e(t("report.curves.explain", lang))}</p>
{_fig(curves_figure([run], lang=lang), "curves")}
<h2>{_e(t("report.cm", lang))}</h2>
<p class="explain">{_e(t("report.cm.explain", lang))}</p>
<div style="max-width:640px">{_fig(confusion_figure(cm, lang=lang), "confusion")}</div>
<h2>{_e(t("report.per_class", lang))}</h2>
<p class="explain">{_e(t("report.per_class.explain", lang))}</p>
{_per_class_table(rows, lang)}
<h2>{_e(t("report.mistakes", lang))}</h2>
<p class="explain">{_e(t("report.mistakes.explain", lang))}</p>
{_mistakes_gallery(pred, data, lang, mistakes)}
<footer>MNIST Lab · {_e(_date(when))}</footer>
"""
    return _page(title, body, lang)


def _recalls(run, data: MNIST | None, predictions: dict | None) -> list[float] | None:
    """Per-digit recall of a run: from given predictions, its recorded final evaluation, or computed on data."""
    if predictions and run.name in predictions:
        p = predictions[run.name]
        return [r["recall"] for r in per_class(p.confusion)]
    if data is None:
        return None
    snaps = snapshots(run.history)
    labels = data.labels("test").cpu()
    if snapshots_fit(snaps, len(labels)):
        preds = snaps[-1].preds
    else:
        preds = test_predictions(run.model, data).preds
    return [r["recall"] for r in per_class(confusion_matrix(preds, labels))]


def comparison_report_html(runs: list, data: MNIST | None = None, lang: str = "en", when: datetime | None = None,
                           predictions: dict[str, Predictions] | None = None) -> str:
    """Several runs in one self-contained HTML page: overlaid curves, results, settings with differences marked."""
    runs = list(runs)
    configs = [r.config for r in runs]
    differ = differing_fields(configs) if len(runs) > 1 else set()
    accs = [r.test_acc for r in runs]
    best = max((a for a in accs if a is not None), default=None)
    head = "".join(f"<th>{_e(r.name)}</th>" for r in runs)
    results = ""
    for r, acc in zip(runs, accs, strict=True):
        cls = ' class="num best"' if acc is not None and acc == best and len(runs) > 1 else " class=num"
        results += (
            f"<tr><td>{_e(r.name)}</td><td>{_e(r.config.arch)}</td><td{cls}>"
            f"{'–' if acc is None else f'{acc:.2%}'}</td><td class=num>{_e(_seconds(r.seconds))}</td>"
            f"<td>{_e(_status(r.status, lang))}</td></tr>"
        )
    settings = ""
    for f in dataclasses.fields(TrainConfig):
        has = [f.name in c.settings() for c in configs]
        if not any(has):
            continue  # a setting none of these learners has
        mark = " ●" if f.name in differ else ""
        cls = ' class="diff"' if f.name in differ else ""
        cells = "".join(f"<td>{_e(_value(f.name, getattr(c, f.name), lang)) if h else '–'}</td>"
                        for c, h in zip(configs, has, strict=True))
        settings += (f"<tr{cls}><td>{_e(_label(f'report.field.{f.name}', f.name, lang))} "
                     f"<code>{_e(f.name)}</code>{mark}</td>{cells}</tr>")
    per_digit = ""
    recalls = [_recalls(r, data, predictions) for r in runs]
    if runs and all(rc is not None for rc in recalls):
        rows = ""
        for d in range(10):
            top = max(rc[d] for rc in recalls)
            cells = "".join(
                f'<td class="num{" best" if rc[d] == top and len(runs) > 1 else ""}">{rc[d]:.1%}</td>'
                for rc in recalls)
            rows += f"<tr><td>{d}</td>{cells}</tr>"
        per_digit = (
            f"<h2>{_e(t('report.compare.per_digit', lang))}</h2>"
            f"<p class=\"explain\">{_e(t('report.compare.per_digit.explain', lang))}</p>"
            f"<table><tr><th>{_e(t('evaluate.pc.digit', lang))}</th>{head}</tr>{rows}</table>"
        )
    n_test = len(data.test_labels) if data is not None else (
        next((e.get("n_test") for r in runs for e in reversed(r.history) if e.get("full")), 0))
    title = t("report.compare.title", lang, n=len(runs))
    body = f"""
<h1>{_e(title)}</h1>
<p class="meta">{_e(t("report.made", lang, date=_date(when), n=n_test))}</p>
<h2>{_e(t("report.compare.runs", lang))}</h2>
<table><tr><th>{_e(t("report.compare.run", lang))}</th><th>{_e(t("report.compare.arch", lang))}</th>
<th>{_e(t("report.summary.acc", lang))}</th><th>{_e(t("report.summary.time", lang))}</th>
<th>{_e(t("report.summary.status", lang))}</th></tr>{results}</table>
<h2>{_e(t("report.curves", lang))}</h2>
<p class="explain">{_e(t("report.curves.explain", lang))}</p>
{_fig(curves_figure(runs, lang=lang, height=440), "curves")}
<h2>{_e(t("report.settings", lang))}</h2>
<p class="explain">{_e(t("report.compare.diff_note", lang))}</p>
<table><tr><th>{_e(t("report.setting", lang))}</th>{head}</tr>{settings}</table>
{per_digit}
<footer>MNIST Lab · {_e(_date(when))}</footer>
"""
    return _page(title, body, lang)


def report_file_name(name: str) -> str:
    """The download name of a run's lab report."""
    return f"mnist-lab-report-{safe_name(name)}.html"
