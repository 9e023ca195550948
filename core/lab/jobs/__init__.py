"""Training jobs: records and their states (store), the task a worker runs (runner)."""
