"""Sphinx configuration for the edx-ace documentation."""

import os
import re
import sys
from pathlib import Path

import django
from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

REPO_DIR = Path(__file__).resolve().parent.parent

# autodoc imports edx_ace, whose modules need configured Django settings.
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "test_settings")
django.setup()


def read_version():
    """Read ``__version__`` from the package source, as setup.py does."""
    source = (REPO_DIR / "edx_ace" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", source, re.MULTILINE)
    return match.group(1) if match else "unknown"


project = "edx-ace"
author = "edX"
copyright = "2017-2026, edX"
release = read_version()
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

# intersphinx is left out on purpose: it downloads inventories, and the docs build
# must work without network access.

autodoc_member_order = "bysource"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

templates_path: list[str] = []
exclude_patterns = ["_build"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"

html_theme = "alabaster"
html_static_path: list[str] = []


class OptionsTable(Directive):
    """
    Render ``edx_ace.options.OPTIONS`` as a table, so the docs list exactly the options the code checks.

    Usage: ``.. ace-options-table::`` with no arguments.
    """

    has_content = False

    def run(self):
        from edx_ace.options import OPTIONS

        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 22 18 45 15",
            "",
            "   * - Key",
            "     - Value",
            "     - Meaning",
            "     - Read by",
        ]
        for option in OPTIONS:
            lines += [
                f"   * - ``{option.name}``",
                f"     - {option.kind}",
                f"     - {option.meaning}",
                f"     - {option.used_by}",
            ]

        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="edx_ace.options.OPTIONS"), self.content_offset, container)
        return container.children


def setup(app):
    app.add_directive("ace-options-table", OptionsTable)
    return {"parallel_read_safe": True}
