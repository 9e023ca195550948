"""MNIST for the pages: decoded once per server process in a thread of its own, shared read-only by every session,
without a running challenge's hidden images."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait

import streamlit as st

from core import settings
from core.learn.data import MNIST, load_mnist
from ui.session import reason, t


def _load(subset: tuple[int, int] | None) -> MNIST:
    data = load_mnist()
    return data.subset(*subset) if subset else data


@st.cache_resource(show_spinner=False)
def _loading(subset: tuple[int, int] | None) -> Future[MNIST]:
    """MNIST, decoded once per server process in a thread of its own and shared read-only by every session:
    a fresh server shows its first page at once, and only what draws the data waits for it."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mnist-load")
    loading = pool.submit(_load, subset)
    pool.shutdown(wait=False)  # the thread ends when the load does
    return loading


def dataset() -> MNIST:
    """The dataset, waiting for it with a notice where the caller draws while the server is still loading it."""
    loading = _loading(settings.subset())
    if not loading.done():
        with st.spinner(t("app.loading")):
            wait([loading])
    if loading.exception() is not None:
        st.rerun()  # data_problem() says why on the rerun
    from ui.challenges import pages_dataset  # here: ui.challenges draws with this module's t()

    return pages_dataset(loading.result())  # without a running challenge's hidden MNIST images


def data_problem() -> str | None:
    """None when MNIST is available or still loading, else the reason it is not (the app then says how to get it).
    A failed load is forgotten once reported, so that the next visit tries again."""
    subset = settings.subset()
    loading = _loading(subset)
    if not loading.done() or loading.exception() is None:
        return None
    _loading.clear(subset)
    return reason(loading.exception())
