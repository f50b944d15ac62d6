# Developer commands for edx-ace. Every target that runs Python first builds the
# project's virtualenv in .venv from the pinned requirements, so a fresh clone
# needs nothing but Python 3.11 and make.

.DEFAULT_GOAL := help

.PHONY: help requirements upgrade test quality coverage diff_cover test-all validate \
	demo translations docs bench clean clean-venv

# Python 3.11 is the baseline; python3 is the fallback where 3.11 is missing.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
COMPARE_BRANCH ?= main
REQUIREMENTS := base celery test quality doc dev

help: ## list the targets and what each one does
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# One stamp file per requirements file: it is rebuilt when the pins or setup.py
# change. The editable install registers the package's entry points (channels).
$(VENV)/.%.installed: requirements/%.txt setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $<
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

requirements: $(VENV)/.dev.installed ## install every development requirement into .venv

upgrade: $(VENV)/.dev.installed ## re-pin requirements/*.txt to the newest allowed versions
	for name in $(REQUIREMENTS); do \
		$(BIN)/pip-compile --quiet --upgrade --allow-unsafe --strip-extras \
			--no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
			--output-file requirements/$$name.txt requirements/$$name.in || exit 1; \
	done

test: $(VENV)/.test.installed ## run the test suite (extra pytest arguments: PYTEST_ARGS=...)
	$(BIN)/pytest $(PYTEST_ARGS)

quality: $(VENV)/.quality.installed ## lint, check formatting and type-check the package
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy edx_ace

coverage: $(VENV)/.test.installed ## run the tests with coverage of edx_ace (fails under 90%)
	$(BIN)/pytest --cov=edx_ace --cov-report=term-missing --cov-report=html \
		--cov-report=xml --cov-fail-under=90 $(PYTEST_ARGS)
	@echo "HTML report: htmlcov/index.html"

diff_cover: $(VENV)/.test.installed ## coverage of the lines changed since COMPARE_BRANCH (main)
	$(BIN)/pytest --cov=edx_ace --cov-report=xml $(PYTEST_ARGS)
	$(BIN)/diff-cover coverage.xml --compare-branch=$(COMPARE_BRANCH) --fail-under=90

test-all: $(VENV)/.dev.installed ## run tox: every supported Python and Django, quality and docs
	$(BIN)/tox

validate: test quality ## run the tests and the quality checks

demo: $(VENV)/.test.installed ## send the example app's welcome message to var/demo-emails/
	$(BIN)/python -m example.demo

translations: $(VENV)/.test.installed ## compile the example app's .po files into .mo files (needs gettext)
	cd example && PYTHONPATH=.. DJANGO_SETTINGS_MODULE=example.settings \
		../$(BIN)/python -m django compilemessages

bench: $(VENV)/.test.installed ## benchmark against upstream edx-ace 1.15.0 (options: BENCH_ARGS=--quick)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

docs: $(VENV)/.doc.installed ## build the HTML docs with warnings as errors
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "HTML docs: docs/_build/html/index.html"

clean: ## delete build output, caches, coverage reports and demo emails (keeps .venv)
	rm -rf build dist *.egg-info docs/_build htmlcov coverage.xml .coverage .coverage.* \
		.pytest_cache .mypy_cache .ruff_cache .hypothesis .tox var
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

clean-venv: ## delete the .venv virtualenv
	rm -rf $(VENV)
