# SPDX-License-Identifier: GPL-3.0-or-later
# Everything a fresh machine with Python 3.11 or later and make needs: `make test`, `make demo`, `make sandbox`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The first Python 3.11 or later found that can make a venv (ansible-core 2.18+ needs 3.11 on the controller);
# `make PYTHON=...` wins. The distribution's python3 comes first: distributions build it with profile-guided
# optimisation, which a source build (pyenv's default) lacks, and every ansible-playbook run of the suites took
# about 18% less CPU on it (measured on Debian's 3.11 against pyenv's).
PYTHON_CANDIDATES := /usr/bin/python3 python3.13 python3.12 python3.11 python3
PYTHON ?= $(firstword $(foreach p,$(PYTHON_CANDIDATES),$(shell $(p) -c \
	'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $(p))))
NO_PYTHON_HINT := no Python 3.11 or later found (tried $(PYTHON_CANDIDATES)): install one (e.g. apt-get install \
	python3.11-venv, dnf install python3.11, brew install python@3.12) or run: make PYTHON=/path/to/python3.x ...
VENV ?= .venv
PY := $(VENV)/bin/python
BUILD := .build
# The collection as ansible-test wants it: a copy at .../ansible_collections/vpsorg/domains.
SANITY_ROOT := $(BUILD)/sanity
COLLECTION_TREE := $(SANITY_ROOT)/ansible_collections/vpsorg/domains
# Playbooks and integration tests find the collection through this path (a link to the work tree).
COLLECTIONS_PATH := $(abspath $(BUILD)/collections)
COLLECTION_LINK := $(COLLECTIONS_PATH)/ansible_collections/vpsorg/domains
# A step that does not run says so loudly: a `SKIPPED: <step>: <why>` line, also appended to $(CI_SKIPPED_FILE)
# when that is set (.ci/run sets it and lists every skipped step in its summary).
CI_SKIPPED_FILE ?=
skipped = echo "SKIPPED: $(1): $(2)" >&2; if [[ -n "$(CI_SKIPPED_FILE)" ]]; then echo "$(1): $(2)" >> "$(CI_SKIPPED_FILE)"; fi

# The suites run on two workers per core (pytest-xdist): most of their time is ansible-playbook runs, but many
# integration tests also wait on the sandbox (activation and transfer delays, Retry-After, answers later than
# api_timeout, the grace look-up after an unclear answer), and a second worker per core uses that idle time.
CORES := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
PYTEST_WORKERS ?= $(shell echo $$(( 2 * $(CORES) )))
# worksteal: an idle worker takes tests queued on a busy one, so a few long tests do not end the run alone.
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist worksteal
SANDBOX_PORT ?= 8080
# pip installs without compiling (it compiles one file after another: a fresh .venv took 35 s, 15 s without), then
# the venv's packages are compiled once on every core (compileall -j 0, about 6 s). Leaving the compiling to Python
# at import is not enough: with PYTHONDONTWRITEBYTECODE set, as many container images set it, nothing is cached
# and every process compiles what it imports again; an ansible-playbook run then took 40% more CPU, measured.
# $(call venv_install,<venv>,<pip arguments>): both steps, in every venv made here.
venv_install = $(1)/bin/python -m pip install --quiet --upgrade pip \
	&& $(1)/bin/python -m pip install --quiet --no-compile $(2) \
	&& { $(1)/bin/python -m compileall -q -q -j 0 "$$($(1)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
		|| echo "compileall: a file in $(1) did not compile (Python compiles it if it is imported)" >&2; }

# The ansible-core versions of the matrix: a venv each (.venv-<version>), with the Python each is tested on.
# `make test` covers 2.19 in .venv; CI runs sanity and units on every other version (`make matrix-<version>`),
# and the integration tests too on the oldest and the newest (`make matrix-full-<version>`).
MATRIX_VERSIONS ?= 2.16 2.17 2.18 2.19 2.20 2.21
MATRIX_PYTHON_2.16 ?= python3.11
MATRIX_PYTHON_2.17 ?= python3.11
MATRIX_PYTHON_2.18 ?= python3.11
MATRIX_PYTHON_2.19 ?= python3.11
MATRIX_PYTHON_2.20 ?= python3.12
MATRIX_PYTHON_2.21 ?= python3.13
# pyenv machines pick the interpreter by version; harmless elsewhere.
MATRIX_PYENV_2.16 ?= 3.11.7
MATRIX_PYENV_2.17 ?= 3.11.7
MATRIX_PYENV_2.18 ?= 3.11.7
MATRIX_PYENV_2.19 ?= 3.11.7
MATRIX_PYENV_2.20 ?= 3.12.1
MATRIX_PYENV_2.21 ?= 3.13.0
# The integration tests of the role (and of the AWX playbooks built on it), run again with a matrix version's
# ansible-playbook by matrix-full-<version>; the demo runs too, from the built artifact installed with it.
MATRIX_PYTEST ?= tests/integration/test_portfolio_role.py tests/integration/test_awx_playbooks.py

# Heavier tools only CI and the docs build need (Sphinx, galaxy-importer, ansible-builder).
CI_VENV ?= .venv-ci
DOCS_DIR := docs
DOCS_BUILD := $(DOCS_DIR)/build

# ansible-test bootstraps pip in its sanity venvs with a get-pip.py it downloads; every ansible-core of the
# matrix finds this offline stand-in under the name it asks for instead (2.16 and 2.17: 23.1.2, 2.18 and 2.19:
# 24.2, 2.20 and 2.21: 25.2; tests/process/test_get_pip_standin.py checks the list against every venv here).
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
GET_PIP_VERSIONS := 23_1_2 24_2 24_3_1 25_0_1 25_1_1 25_2 25_3

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_PATH)
# ansible-rulebook (the event source's tests, `make eda`) runs its rules engine on Java 17: the JDK of the java on
# PATH unless JAVA_HOME is set (`make JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 ...`).
ifeq ($(origin JAVA_HOME),undefined)
JAVA_HOME := $(patsubst %/bin/java,%,$(shell readlink -f "$$(command -v java)" 2>/dev/null))
endif
ifneq ($(JAVA_HOME),)
export JAVA_HOME
endif
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false

.PHONY: flake-check help python-check venv collection-link units integration test lint ruff pytest pytest-drf sanity ansible-lint changelog-lint docs-lint sandbox clean \
	test-matrix ci-venv docs changelog changelog-preview artifact build galaxy-importer ee-create

help: ## List the targets
	@grep -E '^[a-z0-9.%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

python-check:
	@if [[ -z "$(PYTHON)" ]]; then echo "$(NO_PYTHON_HINT)" >&2; exit 1; fi

$(VENV)/.stamp: requirements.txt requirements-dev.txt | python-check
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(call venv_install,$(VENV),-r requirements-dev.txt)
	@touch $@

venv: $(VENV)/.stamp ## Create or refresh .venv (fast when nothing changed)

collection-link: ## Link the work tree as .build/collections/ansible_collections/vpsorg/domains (for playbooks)
	@mkdir -p $(dir $(COLLECTION_LINK))
	@[ "$$(readlink $(COLLECTION_LINK))" = "$(CURDIR)" ] || ln -sfn $(CURDIR) $(COLLECTION_LINK)

# The other checks run beside pytest, CHECK_JOBS at a time (one per core), so that no core waits: pytest alone
# leaves 57 of 942 core-seconds idle (its start and end, and the minutes in which many of its tests wait on the
# sandbox), and the checks after it had single-process stretches; beside it, 30 of 1,171 (sampled from
# /proc/stat). They start at nice 19, which yields to pytest only where the scheduler does not share CPU between
# sessions first (Linux autogroup does). Each check is mostly one process (ansible-test runs one target or one
# sanity test after another); they go longest first, each in its own copy of the tree, and their output is
# printed whole after pytest's.
CHECK_JOBS ?= $(CORES)
CHECKS := integration sanity units ansible-lint docs-lint changelog-lint
test: venv collection-link ruff ## Run every test and check
	@mkdir -p $(BUILD)
	@nice -n 19 $(MAKE) --no-print-directory -j $(CHECK_JOBS) --output-sync=target $(CHECKS) >$(BUILD)/checks.log 2>&1 & \
	checks=$$!; \
	pytest_status=0; $(MAKE) --no-print-directory pytest || pytest_status=$$?; \
	echo "=== the other checks ($(CHECKS)), started beside pytest:"; \
	checks_status=0; wait $$checks || checks_status=$$?; \
	cat $(BUILD)/checks.log; \
	if ((pytest_status || checks_status)); then \
		echo "make test failed: pytest exited $$pytest_status, the other checks $$checks_status" >&2; exit 1; \
	fi

ruff: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# tests/unit is `make units`' (ansible-test units, as the matrix runs it on every ansible-core): `make test` does
# not run it a second time here. `make pytest PYTEST_IGNORE=` (or `.venv/bin/python -m pytest tests/unit`) does.
PYTEST_IGNORE ?= --ignore=tests/unit
# `both`: every test against the sandbox's default profile, and the api_shape-marked ones (see pytest-drf below)
# once more against its drf profile, in the same session, so that one pool of workers shares out both.
PYTEST_PROFILE ?= both
# pytest exits 5 when it collected no test: say so, and fail, since a run that checked nothing proves nothing.
pytest: venv collection-link ## The pytest suites under tests/ but tests/unit (which `make units` runs), api_shape tests on both profiles
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest --sandbox-profile $(PYTEST_PROFILE) $(PYTEST_IGNORE) $(PYTEST_ARGS) || { rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "pytest collected no tests (PYTEST_ARGS='$(PYTEST_ARGS)')" >&2; fi; exit $$rc; }

# The tests whose outcome may depend on the API's shape (marker api_shape; the rule and its check are in
# tests/unit/test_api_shape_marker.py) once more against the sandbox's drf profile (a stock Django REST
# Framework API: string decimals, microsecond times, names kept as posted, newest first, upstream next links,
# DRF's errors). The other integration tests prove the same with either profile. `make pytest` runs these too
# (PYTEST_PROFILE=both); this target runs them alone.
PYTEST_DRF_ARGS ?= -n $(PYTEST_WORKERS) --dist worksteal
pytest-drf: venv collection-link ## The api_shape-marked integration tests against the sandbox's drf profile only
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest --sandbox-profile drf -m api_shape tests/integration \
		tests/sandbox/test_sandbox_keepalive.py $(PYTEST_DRF_ARGS)

# The suites that start servers, FLAKE_RUNS times in a row on FLAKE_WORKERS workers: any failure stops it.
FLAKE_RUNS ?= 10
FLAKE_WORKERS ?= 8
FLAKE_SUITES ?= tests/sandbox tests/process
flake-check: venv collection-link ## The sandbox and process suites FLAKE_RUNS (10) times in a row under -n 8
	@for run in $$(seq 1 $(FLAKE_RUNS)); do \
		echo "=== flake-check run $$run of $(FLAKE_RUNS)"; \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q -p no:cacheprovider -n $(FLAKE_WORKERS) $(FLAKE_SUITES) \
			|| { echo "flake-check: run $$run of $(FLAKE_RUNS) failed" >&2; exit 1; }; \
	done; echo "flake-check: $(FLAKE_RUNS) runs in a row passed"

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
	if [[ -z "$$py39" ]]; then $(call skipped,sanity-py3.9,no python3.9 here: the modules' Python 3.9 compile/import check did not run); \
	else mkdir -p $(PY39_BIN) && ln -sfn "$$py39" $(PY39_BIN)/python3.9 && cd $(COLLECTION_TREE) \
		&& PATH="$(CURDIR)/$(PY39_BIN):$(CURDIR)/$(VENV)/bin:$$PATH" \
			ansible-test sanity --local --python 3.9 --test compile --test import --color no; fi

# ansible-test units and integration, as a collection's maintainers run them, on a copy of the tree.
# units: tests/unit with tests/unit/requirements.txt; integration: tests/integration/targets against a sandbox
# each target starts (setup_sandbox), told where the sandbox package is through integration_config.yml.
UNITS_TREE := $(BUILD)/units/ansible_collections/vpsorg/domains
INTEGRATION_TREE := $(BUILD)/integration/ansible_collections/vpsorg/domains
TEST_PYTHON_VERSION = $$($(1)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

units: venv ## ansible-test units on a copy of the tree
	@$(call copy_tree,$(UNITS_TREE))
	cd $(UNITS_TREE) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		ansible-test units --local --python $(call TEST_PYTHON_VERSION,$(CURDIR)/$(VENV)) --color no

integration: venv ## ansible-test integration (the targets in tests/integration/targets) on a copy of the tree
	@$(call copy_tree,$(INTEGRATION_TREE))
	printf -- '---\nvpsorg_sandbox_root: %s\n' '$(CURDIR)' > $(INTEGRATION_TREE)/tests/integration/integration_config.yml
	cd $(INTEGRATION_TREE) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		ansible-test integration --local --python $(call TEST_PYTHON_VERSION,$(CURDIR)/$(VENV)) --color no

# Roles and playbooks, then the modules' documented EXAMPLES (written out as playbooks). The first call is a
# contributor's bare `ansible-lint`: with .ansible-lint it links the checkout under .ansible/collections itself.
ansible-lint: venv collection-link
	env -u ANSIBLE_COLLECTIONS_PATH PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint
	$(PY) tests/utils/module_examples.py $(BUILD)/module-examples
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production -c .ansible-lint \
		$(BUILD)/module-examples/*.yml

changelog-lint: venv
	$(VENV)/bin/antsibull-changelog lint
	$(VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

docs-lint: venv collection-link ## antsibull-docs lint of the collection's docs and every plugin's documentation
	cd $(COLLECTION_LINK) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" antsibull-docs lint-collection-docs --plugin-docs .

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
	$(call venv_install,.venv-$*,"ansible-core==$*.*" -r requirements-matrix.txt)
	@touch $@

matrix-%: .venv-%/.stamp $(ANSIBLE_TEST_CACHE)/.standin-stamp ## ansible-test sanity and units on one version (matrix-2.17)
	@echo "=== ansible-core $* ($$(.venv-$*/bin/python --version)): sanity, units"
	@$(call copy_tree,$(BUILD)/sanity-$*/ansible_collections/vpsorg/domains)
	cd $(BUILD)/sanity-$*/ansible_collections/vpsorg/domains && PATH="$(CURDIR)/.venv-$*/bin:$$PATH" \
		ansible-test sanity --local --python $(call TEST_PYTHON_VERSION,$(CURDIR)/.venv-$*) --color no $(MATRIX_SANITY_ARGS)
	cd $(BUILD)/sanity-$*/ansible_collections/vpsorg/domains && PATH="$(CURDIR)/.venv-$*/bin:$$PATH" \
		ansible-test units --local --python $(call TEST_PYTHON_VERSION,$(CURDIR)/.venv-$*) --color no

# Also the integration targets, the role's and AWX playbooks' pytest suites and the demo, on one version.
matrix-full-%: matrix-% collection-link artifact ## matrix-<version>, plus integration targets, role/AWX tests and demo
	@echo "=== ansible-core $* ($$(.venv-$*/bin/python --version)): integration, role/AWX tests, demo"
	@$(call copy_tree,$(BUILD)/integration-$*/ansible_collections/vpsorg/domains)
	printf -- '---\nvpsorg_sandbox_root: %s\n' '$(CURDIR)' \
		> $(BUILD)/integration-$*/ansible_collections/vpsorg/domains/tests/integration/integration_config.yml
	cd $(BUILD)/integration-$*/ansible_collections/vpsorg/domains && PATH="$(CURDIR)/.venv-$*/bin:$$PATH" \
		ansible-test integration --local --python $(call TEST_PYTHON_VERSION,$(CURDIR)/.venv-$*) --color no
	PATH="$(CURDIR)/.venv-$*/bin:$$PATH" .venv-$*/bin/python -m pytest -p no:cacheprovider $(MATRIX_PYTEST)
	rm -rf $(BUILD)/demo-collections-$*
	ANSIBLE_COLLECTIONS_PATH=$(abspath $(BUILD)/demo-collections-$*) .venv-$*/bin/ansible-galaxy collection install \
		--offline --force -p $(abspath $(BUILD)/demo-collections-$*) $(ARTIFACT)
	ANSIBLE_COLLECTIONS_PATH=$(abspath $(BUILD)/demo-collections-$*) .venv-$*/bin/python tests/perf/run_demo.py

# Extra ansible-test sanity options for the matrix versions, e.g. MATRIX_SANITY_ARGS="--skip-test pylint" to save time.
MATRIX_SANITY_ARGS ?=
# Every version gets sanity and units; MATRIX_FULL_VERSIONS (the oldest and the newest) get everything.
MATRIX_FULL_VERSIONS ?= 2.16 2.21
test-matrix: $(addprefix matrix-,$(MATRIX_VERSIONS)) $(addprefix matrix-full-,$(MATRIX_FULL_VERSIONS)) ## The version matrix

# --- docs, build, CI-only tools --------------------------------------------------------------------------------
$(CI_VENV)/.stamp: requirements-ci.txt
	@test -x $(CI_VENV)/bin/python || $(PYTHON) -m venv $(CI_VENV)
	$(call venv_install,$(CI_VENV),-r requirements-ci.txt)
	@touch $@

ci-venv: $(CI_VENV)/.stamp

docs: ci-venv collection-link ## Build the HTML docs site into docs/build/html (warnings are errors)
	rm -rf $(DOCS_BUILD)
	cd $(DOCS_DIR) && PATH="$(CURDIR)/$(CI_VENV)/bin:$$PATH" ./build.sh

# The artifact, built once and shared by everything that uses it (the matrix lanes, the demo, galaxy-importer,
# ee-create): rebuilt only when a file git knows (committed or not) is newer than it, or by `make build`.
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
ARTIFACT := $(BUILD)/vpsorg-domains-$(COLLECTION_VERSION).tar.gz
ARTIFACT_SOURCES := $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null))
# Any ansible-galaxy builds the same artifact: the demo builds it with its own venv's (it needs no .venv).
ARTIFACT_GALAXY ?= $(VENV)/bin/ansible-galaxy
define build_artifact
	@mkdir -p $(BUILD)
	rm -f $(BUILD)/vpsorg-domains*.tar.gz
	$(ARTIFACT_GALAXY) collection build --force --output-path $(BUILD) .
endef

$(ARTIFACT): $(ARTIFACT_SOURCES)
	@test -x $(ARTIFACT_GALAXY) || $(MAKE) --no-print-directory venv
	$(build_artifact)

artifact: $(ARTIFACT) ## The collection artifact in .build/, built only when missing or out of date

build: venv ## Build the collection artifact into .build/ (always)
	$(build_artifact)

galaxy-importer: ci-venv artifact ## Run galaxy-importer over the built artifact (fails on any warning)
	PATH="$(CURDIR)/$(CI_VENV)/bin:$$PATH" GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/utils/galaxy-importer.cfg \
		$(CI_VENV)/bin/python tests/utils/run_galaxy_importer.py $(ARTIFACT)

ee-create: ci-venv artifact ## ansible-builder create: the execution environment's build context in .build/ee
	rm -rf $(BUILD)/ee
	cp $(ARTIFACT) $(BUILD)/vpsorg-domains.tar.gz
	$(CI_VENV)/bin/ansible-builder create --file execution-environment.yml --context $(BUILD)/ee

clean: ## Remove build output (keeps the venvs)
	rm -rf $(BUILD) tests/output .pytest_cache .ruff_cache $(DOCS_BUILD)

# --- demo and benchmark ----------------------------------------------------------------------------------------
# The demo uses the collection as users get it: built, then installed into a path of its own, with only what
# running it needs (ansible-core, requests, idna) in a venv of its own: no test or lint tools.
DEMO_VENV ?= .venv-demo
DEMO_COLLECTIONS := $(abspath $(BUILD)/demo-collections)
DEMO_ANSIBLE_CORE ?= ansible-core>=2.16,<2.22

.PHONY: demo bench sandbox

$(DEMO_VENV)/.stamp: requirements.txt | python-check
	@test -x $(DEMO_VENV)/bin/python || $(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(DEMO_ANSIBLE_CORE)" -r requirements.txt
	@touch $@

demo: $(DEMO_VENV)/.stamp ## Build and install the collection, start a sandbox, run playbooks/demo.yml against it
	@$(MAKE) --no-print-directory artifact ARTIFACT_GALAXY=$(DEMO_VENV)/bin/ansible-galaxy
	rm -rf $(DEMO_COLLECTIONS)
	ANSIBLE_COLLECTIONS_PATH=$(DEMO_COLLECTIONS) $(DEMO_VENV)/bin/ansible-galaxy collection install --offline --force \
		-p $(DEMO_COLLECTIONS) $(ARTIFACT) >/dev/null
	ANSIBLE_COLLECTIONS_PATH=$(DEMO_COLLECTIONS) $(DEMO_VENV)/bin/python tests/perf/run_demo.py

# The sandbox needs only the standard library; it runs in the demo's lean venv, whose ansible-playbook then runs
# the playbooks against it (README, "Trying it on the sandbox"): no developer venv.
sandbox: $(DEMO_VENV)/.stamp ## Serve the sandbox API in the foreground on SANDBOX_PORT (8080), store under .sandbox/
	@mkdir -p .sandbox
	$(DEMO_VENV)/bin/python -m sandbox --host 127.0.0.1 --port $(SANDBOX_PORT) --db .sandbox/sandbox.sqlite3

bench: venv collection-link ## Time the collection at 1,000 and 10,000 domains, 0 and 50 ms, against floors (BENCH_QUICK=1: smoke)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) tests/perf/bench.py $(BENCH_ARGS)

# --- event-driven ----------------------------------------------------------------------------------------------
.PHONY: eda

eda: venv collection-link ## A sandbox and extensions/eda/rulebooks/domain_guard.yml against it, to try (Ctrl-C stops)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) tests/perf/run_eda.py
