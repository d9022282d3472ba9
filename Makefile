# serverless-lab: one entry point. Every target sets up .venv first (idempotent: a stamp
# keyed on the dependency files makes the second run instant).
# Portable: runs with macOS's make 3.81 and a POSIX sh; anything beyond POSIX tools is done
# in Python (e.g. the dependency hash: macOS has no sha256sum). No target needs root except
# system-deps, which nothing runs implicitly for an ordinary user.
SHELL := /bin/sh
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KERNEL := serverless-lab
DEPS_HASH := $(shell $(PYTHON) -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read() + open("environment.yml", "rb").read()).hexdigest()[:16])')
STAMP := $(VENV)/.setup-$(DEPS_HASH)
PORT ?= 4566
# extra arguments for jupyter lab, e.g. make lab JUPYTER_ARGS="--no-browser --port 8890"
JUPYTER_ARGS ?=

.PHONY: help setup browser sandbox system-deps run test lint lab serve bench clean

help:
	@echo "make run    - main job: set up, execute every notebook offline into build/"
	@echo "make test   - set up, lint (ruff) and test (pytest: unit, conformance, notebooks)"
	@echo "make lab    - set up, open JupyterLab on notebooks/ with the project kernel"
	@echo "make serve  - lab serve on http://127.0.0.1:$(PORT) in the foreground"
	@echo "make bench  - benchmarks against floors measured in the same run"
	@echo "make browser - a Chromium for the walkthrough's browser test (skipped without one)"
	@echo "make system-deps - as root on Debian/Ubuntu: chromium and bubblewrap (CI runs it)"

setup: $(STAMP)

$(STAMP): pyproject.toml environment.yml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (serverless-lab)"
	rm -f $(VENV)/.setup-*
	touch $(STAMP)

run: setup
	$(PY) -m lab build

# A Chromium for the walkthrough's browser test (without one that test is skipped and says
# how to get one). Found already (CHROMIUM, the system's, a Playwright one): nothing to do.
# As root with apt-get: Debian's chromium (system-deps). Otherwise, no root needed:
# Playwright's own Chromium in the user's cache (downloaded from Playwright's CDN).
browser: setup
	@if $(PY) -m tests.fixtures.browser >/dev/null 2>&1; then \
	  echo "Chromium: $$($(PY) -m tests.fixtures.browser)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  $(MAKE) system-deps; \
	else \
	  $(VENV)/bin/playwright install chromium; \
	fi

# System packages, Debian/Ubuntu, as root (CI: .ci/run). chromium: the browser test;
# bubblewrap: the Lambda sandbox (without it environments run unsandboxed and say so).
# The one place the project installs system packages; `make test` never calls it.
SYSTEM_PACKAGES := chromium bubblewrap
system-deps:
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make system-deps installs system packages ($(SYSTEM_PACKAGES)) and needs root;"; \
	  echo "nothing else in this Makefile does (make browser works without root)"; exit 1; fi
	@command -v apt-get >/dev/null 2>&1 || { \
	  echo "make system-deps knows Debian/Ubuntu (apt-get) only; install $(SYSTEM_PACKAGES) yourself"; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES)

# Lambda environments run in bubblewrap (docs/security.md); without it lab serve falls back
# to plain processes and says so. Installing it needs root: system-deps (never make test).
sandbox:
	@if command -v bwrap >/dev/null 2>&1; then echo "bubblewrap: $$(command -v bwrap)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then $(MAKE) system-deps; \
	else echo "bubblewrap is not installed and installing it needs root: sudo make system-deps"; \
	  echo "(or your system's package; without it lab serve runs environments unsandboxed)"; fi

test: lint
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .

# JupyterLab refuses to run as root (containers, CI images) without --allow-root.
lab: setup
	$(VENV)/bin/jupyter lab notebooks/ $(JUPYTER_ARGS) $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

serve: setup
	$(VENV)/bin/lab serve --port $(PORT)

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf build .pytest_cache .ruff_cache
