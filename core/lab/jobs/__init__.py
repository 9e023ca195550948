"""Training jobs: records, locks and every state change (store), training one job (runner), the Huey queue and
waking the next job (queue), the worker command (pool). Importing the package puts the queue in place, so that
a resume or a stop made through the store always wakes it."""

from core.lab.jobs import queue as _queue  # noqa: F401  (registers the queue's waker with the store)
