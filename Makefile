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
SANITY_ROOT := $(BUILD)/sanity
COLLECTION_TREE := $(SANITY_ROOT)/ansible_collections/vpsorg/domains
# Playbooks and integration tests find the collection through this path (a link to the work tree).
COLLECTIONS_PATH := $(abspath $(BUILD)/collections)
COLLECTION_LINK := $(COLLECTIONS_PATH)/ansible_collections/vpsorg/domains
PYTEST_ARGS ?=
SANDBOX_PORT ?= 8080

# The ansible-core versions of the matrix: a venv each (.venv-<version>), with the Python each is tested on.
# `make test` covers 2.19 in .venv; CI runs the others with `make test-matrix MATRIX_VERSIONS="2.16 2.21"`.
MATRIX_VERSIONS ?= 2.16 2.19 2.21
MATRIX_PYTHON_2.16 ?= python3.11
MATRIX_PYTHON_2.19 ?= python3.11
MATRIX_PYTHON_2.21 ?= python3.13
# pyenv machines pick the interpreter by version; harmless elsewhere.
MATRIX_PYENV_2.16 ?= 3.11.7
MATRIX_PYENV_2.19 ?= 3.11.7
MATRIX_PYENV_2.21 ?= 3.13.0
# The integration tests of the role (and of the AWX playbooks built on it), run again with every matrix
# version's ansible-playbook; the demo runs too, from the built artifact installed with that version.
MATRIX_PYTEST ?= tests/integration/test_portfolio_role.py tests/integration/test_awx_playbooks.py

# Heavier tools only CI and the docs build need (Sphinx, galaxy-importer, ansible-builder).
CI_VENV ?= .venv-ci
DOCS_DIR := docs
DOCS_BUILD := $(DOCS_DIR)/build

# ansible-test bootstraps pip in its sanity venvs with a get-pip.py it downloads; every ansible-core of the
# matrix finds this offline stand-in under the name it asks for instead (2.16: 23.1.2, 2.19: 24.2, 2.21: 25.2).
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
GET_PIP_VERSIONS := 23_1_2 24_2 24_3_1 25_0_1 25_1_1 25_2 25_3

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_PATH)
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false

.PHONY: help venv collection-link test lint ruff pytest sanity ansible-lint changelog-lint docs-lint sandbox clean \
	test-matrix ci-venv docs changelog changelog-preview build galaxy-importer ee-create

help: ## List the targets
	@grep -E '^[a-z0-9.%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

$(VENV)/.stamp: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.stamp ## Create or refresh .venv (fast when nothing changed)

collection-link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn $(CURDIR) $(COLLECTION_LINK)

test: venv collection-link ruff pytest sanity ansible-lint changelog-lint docs-lint ## Run every test and check

ruff: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# pytest exits 5 when it collected no test: say so, and fail, since a run that checked nothing proves nothing.
pytest: venv collection-link
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "pytest collected no tests (PYTEST_ARGS='$(PYTEST_ARGS)')" >&2; fi; exit $$rc; }

$(ANSIBLE_TEST_CACHE)/.standin-stamp: tests/utils/get_pip_standin.py
	@mkdir -p $(ANSIBLE_TEST_CACHE)
	@for v in $(GET_PIP_VERSIONS); do cp tests/utils/get_pip_standin.py $(ANSIBLE_TEST_CACHE)/get_pip_$$v.py; done
	@touch $@

# A copy of the files git knows (committed or not, ignored ones left out) in its own git repository, so that
# ansible-test lists exactly these files and not the enclosing work tree's.
define copy_tree
	rm -rf $(1) && mkdir -p $(1)
	git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do [[ -e "$$f" ]] && printf '%s\0' "$$f"; done \
		| tar --null -T - -cf - | tar -xf - -C $(1)
	git -C $(1) init --quiet
endef

# The modules must run on Python 3.9 (tests/config.yml): where a python3.9 exists, sanity also compiles and
# imports them with it. ansible-test finds it on PATH, through a link (pyenv shims need PYENV_VERSION).
PY39_PYENV ?= 3.9.18
PY39_BIN := $(BUILD)/python3.9-bin

sanity: venv $(ANSIBLE_TEST_CACHE)/.standin-stamp ## ansible-test sanity on a copy of the tree
	@$(call copy_tree,$(COLLECTION_TREE))
	cd $(COLLECTION_TREE) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ansible-test sanity --local --python 3.11 --color no
	@py39="$$(PYENV_VERSION=$(PY39_PYENV) python3.9 -c 'import sys; print(sys.executable)' 2>/dev/null || true)"; \
	if [[ -z "$$py39" ]]; then echo "NOTE: no python3.9 here; the modules' Python 3.9 compile/import check is skipped"; \
	else mkdir -p $(PY39_BIN) && ln -sfn "$$py39" $(PY39_BIN)/python3.9 && cd $(COLLECTION_TREE) \
		&& PATH="$(CURDIR)/$(PY39_BIN):$(CURDIR)/$(VENV)/bin:$$PATH" \
			ansible-test sanity --local --python 3.9 --test compile --test import --color no; fi

# Roles and playbooks, then the modules' documented EXAMPLES (written out as playbooks).
ansible-lint: venv collection-link
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production
	$(PY) tests/utils/module_examples.py $(BUILD)/module-examples
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production -c .ansible-lint \
		$(BUILD)/module-examples/*.yml

changelog-lint: venv
	$(VENV)/bin/antsibull-changelog lint
	$(VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

docs-lint: venv collection-link ## antsibull-docs lint of the collection's docs and every plugin's documentation
	cd $(COLLECTION_LINK) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" antsibull-docs lint-collection-docs --plugin-docs .

sandbox: venv ## Serve the sandbox API in the foreground (store under .sandbox/)
	@mkdir -p .sandbox
	$(PY) -m sandbox --host 127.0.0.1 --port $(SANDBOX_PORT) --db .sandbox/sandbox.sqlite3

changelog: venv collection-link ## Regenerate CHANGELOG.md from changelogs/changelog.yaml (needs a release)
	$(VENV)/bin/antsibull-changelog generate

# What `antsibull-changelog release` would write for the version in galaxy.yml, done on a copy of the tree.
changelog-preview: venv ## Print the changelog the next release would get (changes nothing in the tree)
	@$(call copy_tree,$(BUILD)/changelog-preview/ansible_collections/vpsorg/domains)
	cd $(BUILD)/changelog-preview/ansible_collections/vpsorg/domains \
		&& PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH=$(abspath $(BUILD)/changelog-preview) antsibull-changelog \
			release --version "$$($(CURDIR)/$(PY) -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')" \
		&& cat CHANGELOG.md

# --- version matrix --------------------------------------------------------------------------------------------
# Kept between runs: make would otherwise delete these pattern-made stamps and rebuild the venvs every time.
.PRECIOUS: .venv-%/.stamp
.venv-%/.stamp: requirements.txt requirements-matrix.txt
	@test -x .venv-$*/bin/python || PYENV_VERSION=$(MATRIX_PYENV_$*) $(MATRIX_PYTHON_$*) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet "ansible-core==$*.*" -r requirements-matrix.txt
	@touch $@

matrix-%: .venv-%/.stamp collection-link build $(ANSIBLE_TEST_CACHE)/.standin-stamp ## Sanity, role tests, demo on one version
	@echo "=== ansible-core $* ($$(.venv-$*/bin/python --version))"
	@$(call copy_tree,$(BUILD)/sanity-$*/ansible_collections/vpsorg/domains)
	cd $(BUILD)/sanity-$*/ansible_collections/vpsorg/domains && PATH="$(CURDIR)/.venv-$*/bin:$$PATH" \
		ansible-test sanity --local --python "$$($(CURDIR)/.venv-$*/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no
	PATH="$(CURDIR)/.venv-$*/bin:$$PATH" .venv-$*/bin/python -m pytest -p no:cacheprovider $(MATRIX_PYTEST)
	rm -rf $(BUILD)/demo-collections-$*
	ANSIBLE_COLLECTIONS_PATH=$(abspath $(BUILD)/demo-collections-$*) .venv-$*/bin/ansible-galaxy collection install \
		--offline --force -p $(abspath $(BUILD)/demo-collections-$*) $(BUILD)/vpsorg-domains-*.tar.gz
	ANSIBLE_COLLECTIONS_PATH=$(abspath $(BUILD)/demo-collections-$*) .venv-$*/bin/python tests/perf/run_demo.py

test-matrix: $(addprefix matrix-,$(MATRIX_VERSIONS)) ## Sanity and the role/demo tests on every ansible-core version

# --- docs, build, CI-only tools --------------------------------------------------------------------------------
$(CI_VENV)/.stamp: requirements-ci.txt
	@test -x $(CI_VENV)/bin/python || $(PYTHON) -m venv $(CI_VENV)
	$(CI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CI_VENV)/bin/python -m pip install --quiet -r requirements-ci.txt
	@touch $@

ci-venv: $(CI_VENV)/.stamp

docs: ci-venv collection-link ## Build the HTML docs site into docs/build/html (warnings are errors)
	rm -rf $(DOCS_BUILD)
	cd $(DOCS_DIR) && PATH="$(CURDIR)/$(CI_VENV)/bin:$$PATH" ./build.sh

build: venv ## Build the collection artifact into .build/
	@mkdir -p $(BUILD)
	rm -f $(BUILD)/vpsorg-domains*.tar.gz
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD) .

galaxy-importer: ci-venv build ## Run galaxy-importer over the built artifact (fails on any warning)
	PATH="$(CURDIR)/$(CI_VENV)/bin:$$PATH" GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/utils/galaxy-importer.cfg \
		$(CI_VENV)/bin/python tests/utils/run_galaxy_importer.py $(BUILD)/vpsorg-domains-*.tar.gz

ee-create: ci-venv build ## ansible-builder create: the execution environment's build context in .build/ee
	rm -rf $(BUILD)/ee
	cp $(BUILD)/vpsorg-domains-*.tar.gz $(BUILD)/vpsorg-domains.tar.gz
	$(CI_VENV)/bin/ansible-builder create --file execution-environment.yml --context $(BUILD)/ee

clean: ## Remove build output (keeps the venvs)
	rm -rf $(BUILD) tests/output .pytest_cache .ruff_cache $(DOCS_BUILD)

# --- demo and benchmark ----------------------------------------------------------------------------------------
# The demo uses the collection as users get it: built, then installed into a path of its own.
DEMO_COLLECTIONS := $(abspath $(BUILD)/demo-collections)

.PHONY: demo bench

demo: venv build ## Build and install the collection, start a sandbox, run playbooks/demo.yml against it
	rm -rf $(DEMO_COLLECTIONS)
	ANSIBLE_COLLECTIONS_PATH=$(DEMO_COLLECTIONS) $(VENV)/bin/ansible-galaxy collection install --offline --force \
		-p $(DEMO_COLLECTIONS) $(BUILD)/vpsorg-domains-*.tar.gz
	ANSIBLE_COLLECTIONS_PATH=$(DEMO_COLLECTIONS) $(PY) tests/perf/run_demo.py

bench: venv collection-link ## Time the collection at 1,000 and 10,000 domains, 0 and 50 ms, against floors (BENCH_QUICK=1: smoke)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) tests/perf/bench.py $(BENCH_ARGS)
