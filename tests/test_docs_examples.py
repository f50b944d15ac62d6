"""The Python examples in docs/options.rst run, in order, as one program."""

from __future__ import annotations

import pathlib
import textwrap

from django.core import mail

from edx_ace.signals import ACE_MESSAGE_SENT

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def python_blocks(path: pathlib.Path) -> list[tuple[str, str]]:
    """
    Return the ``.. code-block:: python`` blocks of an rst file as ``(caption, code)`` pairs.

    A block's code is its indented lines after the directive's options, dedented, and
    preceded by blank lines so that tracebacks show the line numbers of the rst file.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != ".. code-block:: python":
            index += 1
            continue

        index += 1
        caption = ""
        while index < len(lines) and lines[index].strip().startswith(":"):
            option = lines[index].strip()
            if option.startswith(":caption:"):
                caption = option.removeprefix(":caption:").strip()
            index += 1

        first_line = index
        body = []
        while index < len(lines) and (not lines[index].strip() or lines[index].startswith(" ")):
            body.append(lines[index])
            index += 1
        code = textwrap.dedent("\n".join(body))
        blocks.append((caption, "\n" * first_line + code))
    return blocks


def test_options_page_has_examples():
    captions = [caption for caption, _code in python_blocks(DOCS / "options.rst")]

    assert captions.count("settings.py") == 1
    assert len(captions) >= 7


def test_options_page_examples_run(settings, email_dir):
    namespace: dict = {"__name__": "docs_options"}
    try:
        for caption, code in python_blocks(DOCS / "options.rst"):
            if caption == "settings.py":
                values: dict = {}
                exec(compile(code, "docs/options.rst (settings.py)", "exec"), values)
                for name, value in values.items():
                    if name.isupper():
                        setattr(settings, name, value)
                continue
            exec(compile(code, "docs/options.rst", "exec"), namespace)
    finally:
        for value in namespace.values():
            if callable(value):
                ACE_MESSAGE_SENT.disconnect(value)

    assert len(mail.outbox) == 1
    assert len(namespace["deliveries"]) == 1
