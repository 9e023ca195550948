"""What the Train page says about a job's history with the server: why it was interrupted, that it resumed by
itself after a restart (and from where), and the workspace's damaged job records, each removable."""

from __future__ import annotations

import streamlit as st

from core.lab.jobs import store
from ui.i18n import CATALOGS
from ui.session import t, workspace


def interrupted_reason(job) -> str:
    """Why an interrupted job stopped, in the reader's language (a lost worker, or a pool that ended too often)."""
    code = job.error_code if f"error.{job.error_code}" in CATALOGS["en"] else "worker_lost"
    return t(f"error.{code}", **job.error_params)


def goes_on_by_itself(job) -> bool:
    """An interrupted job its pool's end left to be resumed by the next pool: the page keeps watching it."""
    return job.state == "interrupted" and job.error_code == "pool_ended"


def repeated_loss_note(job) -> str:
    """' Why: its pool ended with it 3 times in a row...' for a job that no longer resumes by itself; else ''."""
    if job.error_code != "pool_lost_repeatedly":
        return ""
    return " " + t("train.interrupted.why", reason=interrupted_reason(job))


def resumed_note(job) -> str | None:
    """'Resumed by itself from epoch X' for a job its restarted pool put back; None when the student resumed it
    (or it never was)."""
    resumed = job.resumed
    if not resumed.get("auto"):
        return None
    if resumed.get("epoch") is None:
        return t("train.resumed.auto.start")
    return t("train.resumed.auto", epoch=f"{resumed['epoch']:.2f}")


def _remove(job_id: str) -> None:
    store.remove_damaged(workspace(), job_id)


def damaged_jobs_ui() -> None:
    """The workspace's job records that cannot be read: one notice, and a button to remove each."""
    ids = store.damaged(workspace())
    if not ids:
        return
    st.warning(t("train.damaged", n=len(ids)))
    for job_id in ids[:10]:
        st.button(t("train.damaged.remove", id=job_id), key=f"train_damaged_{job_id}", on_click=_remove,
                  args=(job_id,))
