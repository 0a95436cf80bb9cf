# SPDX-License-Identifier: GPL-3.0-or-later
# Everything a fresh machine with Python 3.11 and make needs: `make test`, `make demo`, `make sandbox`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
BUILD := .build
# The collection as ansible-test wants it: a copy at .../ansible_collections/vpsorg/domains.
COLLECTION_TREE := $(BUILD)/sanity/ansible_collections/vpsorg/domains
# Playbooks and integration tests find the collection through this path (a link to the work tree).
COLLECTIONS_PATH := $(abspath $(BUILD)/collections)
PYTEST_ARGS ?=
SANDBOX_PORT ?= 8080

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_PATH)
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false

.PHONY: help venv collection-link test lint ruff pytest sanity ansible-lint changelog-lint sandbox clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

$(VENV)/.stamp: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.stamp ## Create or refresh .venv (fast when nothing changed)

collection-link:
	@mkdir -p $(COLLECTIONS_PATH)/ansible_collections/vpsorg
	@ln -sfn $(CURDIR) $(COLLECTIONS_PATH)/ansible_collections/vpsorg/domains

test: venv collection-link ruff pytest sanity ansible-lint changelog-lint ## Run every test and check

ruff: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

pytest: venv collection-link
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest $(PYTEST_ARGS)

$(HOME)/.ansible/test/cache/.standin-stamp: tests/utils/get_pip_standin.py
	@mkdir -p $(HOME)/.ansible/test/cache
	@for v in 23_1_2 24_2 24_3_1 25_0_1 25_1_1 25_2 25_3; do cp tests/utils/get_pip_standin.py $(HOME)/.ansible/test/cache/get_pip_$$v.py; done
	@touch $@

sanity: venv $(HOME)/.ansible/test/cache/.standin-stamp ## ansible-test sanity on a copy of the tree
	@rm -rf $(COLLECTION_TREE) && mkdir -p $(COLLECTION_TREE)
	@git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C $(COLLECTION_TREE)
	cd $(COLLECTION_TREE) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ansible-test sanity --local --python 3.11 --color no

ansible-lint: venv collection-link
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production

changelog-lint: venv
	$(VENV)/bin/antsibull-changelog lint

sandbox: venv ## Serve the sandbox API in the foreground (store under .sandbox/)
	@mkdir -p .sandbox
	$(PY) -m sandbox --host 127.0.0.1 --port $(SANDBOX_PORT) --db .sandbox/sandbox.sqlite3

clean: ## Remove build output (keeps .venv)
	rm -rf $(BUILD) tests/output .pytest_cache .ruff_cache
