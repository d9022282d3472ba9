# serverless-lab: one entry point. Every target sets up .venv first (idempotent: a stamp
# keyed on the dependency files makes the second run instant).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KERNEL := serverless-lab
DEPS_HASH := $(shell cat pyproject.toml environment.yml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.setup-$(DEPS_HASH)
PORT ?= 4566
# extra arguments for jupyter lab, e.g. make lab JUPYTER_ARGS="--no-browser --port 8890"
JUPYTER_ARGS ?=

.PHONY: help setup browser sandbox run test lint lab serve bench clean

help:
	@echo "make run    - main job: set up, execute every notebook offline into build/"
	@echo "make test   - set up, lint (ruff) and test (pytest: unit, conformance, notebooks)"
	@echo "make lab    - set up, open JupyterLab on notebooks/ with the project kernel"
	@echo "make serve  - lab serve on http://127.0.0.1:$(PORT) in the foreground"
	@echo "make bench  - benchmarks against floors measured in the same run"

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

# The walkthrough test drives Debian's chromium (playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the walkthrough's browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Lambda environments run in bubblewrap (docs/security.md); without it lab serve falls back
# to plain processes and says so. Installed like chromium: root or sudo, never required.
sandbox:
	@command -v bwrap >/dev/null || { \
	  echo "installing Debian's bubblewrap: the sandbox of offline Lambda environments"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null && echo sudo; } || echo none ); \
	  if [ "$$SUDO" = none ]; then echo "bubblewrap missing and no root: lab serve runs environments without a sandbox"; \
	  else $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; fi; }

test: lint browser sandbox
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
