# SPDX-License-Identifier: GPL-3.0-or-later
"""Sphinx configuration of the collection's documentation site; docs/build.sh renders the pages and builds it."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from docutils import nodes

project = "vpsorg.domains"
project_copyright = "vpsorg.domains contributors"
title = "vpsorg.domains"
html_short_title = "vpsorg.domains"

# No intersphinx: the site builds offline. The few Ansible docsite labels that antsibull-docs' pages refer to
# are resolved to links into docs.ansible.com by _resolve_ansible_label below; any other unresolved reference
# stays an error.
extensions = ["sphinx_antsibull_ext"]

pygments_style = "ansible"
highlight_language = "YAML+Jinja"

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_theme_options = {"display_version": False}
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

default_role = "any"
nitpicky = True

_ANSIBLE_DOCS = "https://docs.ansible.com/ansible/latest/"
_ANSIBLE_LABELS: Dict[str, Tuple[str, str]] = {
    "common_return_values": ("reference_appendices/common_return_values.html", "Return Values"),
    "ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings"),
}


def _resolve_ansible_label(app: Any, env: Any, node: Any, contnode: Any) -> Optional[nodes.reference]:
    """A link into the Ansible docsite for a :ref: to one of its labels, or an :envvar: of ansible-core's
    configuration (the inventory cache options); None leaves other references alone."""
    if node.get("refdomain") != "std":
        return None
    name = node.get("reftarget", "")
    if node.get("reftype") == "envvar" and name.startswith("ANSIBLE_"):
        reference = nodes.reference(
            "", "", internal=False, refuri=f"{_ANSIBLE_DOCS}reference_appendices/config.html#envvar-{name}"
        )
        reference += contnode
        return reference
    if node.get("reftype") != "ref":
        return None
    target = _ANSIBLE_LABELS.get(node.get("reftarget", ""))
    if target is None:
        return None
    path, title_text = target
    reference = nodes.reference("", "", internal=False, refuri=_ANSIBLE_DOCS + path)
    reference += contnode if node.get("refexplicit") else nodes.Text(title_text)
    return reference


def setup(app: Any) -> Dict[str, Any]:
    """Sphinx extension entry point of this configuration."""
    app.connect("missing-reference", _resolve_ansible_label)
    return {"parallel_read_safe": True}
