# The two commands: `make run` starts the app and its worker pool, `make test` runs the whole suite.
# Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
APP_STAMP := $(VENV)/.app-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint bench clean

# The worker pool (MNIST_LAB_WORKERS process workers, one per core by default) trains the jobs; the app
# only submits and reads them. Ctrl-C (or the app ending, even by SIGKILL) stops the pool too, on purpose: a
# second `make run` would otherwise start a second pool on the same cores. Running jobs are then marked
# interrupted and resume by themselves from their last epoch checkpoint when a pool runs again (`make run`
# again), in queue order. A bad MNIST_LAB_* setting stops `make run` first, in one line.
run: $(APP_STAMP)
	@$(PY) -m core check-settings
	$(PY) -m core worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null; wait $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(PY) -m ui.serve

# One process: 13:24-14:15 of tests (732) on 2 cores in four fresh-clone CI runs on 2026-12-04 afternoon (the browser
# tests first, then the rest). `$(PY) -m pytest -n 2` (the browser tests alone on one worker, see tests/conftest.py)
# took 12-13 min on a busier machine, but in three fresh-clone runs each had one browser test time out under
# the two workers' contention (a different one each time), so it is not the default.
test: $(DEV_STAMP)
	$(PY) -m pytest

lint: $(DEV_STAMP)
	$(PY) -m ruff check .

# The speed figures the README quotes, each with its baseline measured in the same run: the tutorial pipeline against
# core and the speedruns for 3 seeds (speed.py), then in Debian's Chromium (Playwright, from requirements-dev.txt)
# Start -> first chart point, a fresh server's first page, stroke -> prediction while a class trains. The load
# average before and after: the machine may be shared.
bench: $(DEV_STAMP)
	uptime
	$(PY) benchmarks/speed.py
	$(PY) benchmarks/first_point.py --presets mlp-adam,cnn-adam,speedrun-cnn,knn-blocks
	$(PY) benchmarks/pages.py --repeats 0 --fresh 5
	$(PY) benchmarks/load.py --students 1,8 --draw 5
	uptime

$(APP_STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	touch $@

$(DEV_STAMP): $(APP_STAMP) requirements-dev.txt
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
