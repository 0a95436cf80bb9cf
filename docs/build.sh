#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the collection's documentation site into docs/build/html: antsibull-docs renders the module, role and
# guide pages of the collection found on ANSIBLE_COLLECTIONS_PATH into docs/rst, then Sphinx builds them with
# every warning an error. Needs antsibull-docs, Sphinx and sphinx-ansible-theme (`make docs` installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

rm -rf rst build
mkdir -p rst
chmod og-w rst  # antsibull-docs wants the directory writable by its owner only
antsibull-docs \
    --config-file antsibull-docs.cfg \
    collection \
    --fail-on-error \
    --cleanup everything \
    --use-current \
    --squash-hierarchy \
    --dest-dir rst \
    vpsorg.domains
# antsibull-docs copies only the .rst files of docs/docsite/rst (to rst/docsite); the guides' images come along here.
cp -R docsite/rst/images rst/docsite/images

sphinx-build -M html rst build -c . -W --keep-going -q
echo "Documentation site: $(pwd)/build/html/index.html"
