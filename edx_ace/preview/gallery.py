"""
Write previews as a static HTML gallery: ``index.html`` linking one page per preview.

An email page shows the subject and From name, the HTML email in an ``<iframe>`` (its
``srcdoc``, sandboxed so nothing in it runs) beside the plain-text body, and lists the
missing variables. The pages load nothing from the network.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attr

from edx_ace.channel.mail import html_document, one_line
from edx_ace.preview.rendering import Preview
from edx_ace.renderers import RenderedEmail

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #1d1d1d; }
table.previews { border-collapse: collapse; }
table.previews th, table.previews td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
dl.envelope { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.envelope dt { font-weight: bold; }
dl.envelope dd { margin: 0; }
.problem { background: #fff1c2; border: 1px solid #d9a400; padding: 0.5em 0.8em; }
.bodies { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.bodies iframe { width: 100%; height: 70vh; border: 1px solid #ccc; }
.bodies pre { white-space: pre-wrap; border: 1px solid #ccc; padding: 0.5em; margin: 0; overflow: auto; }
""".strip()


def write_gallery(previews: list[Preview], output_dir: Path) -> Path:
    """
    Write one page per preview and ``index.html`` into ``output_dir`` and return the index path.

    Pages already in ``output_dir`` with the same names are overwritten, and other files
    are left alone.

    Raises:
        OSError: ``output_dir`` cannot be created or written.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    for preview in previews:
        (output_dir / preview.page_name).write_text(render_page(preview), encoding="utf-8")

    index_path = output_dir / "index.html"
    index_path.write_text(render_index(previews), encoding="utf-8")
    return index_path


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _status(preview: Preview) -> str:
    if preview.error:
        return "rendering failed"
    if preview.missing:
        return f"{len(preview.missing)} missing variable(s)"
    return "ok"


def render_index(previews: list[Preview]) -> str:
    """Return the index page: one row per preview, linking to its page."""
    rows = []
    for preview in previews:
        label = f"{preview.templates.unique_name} ({preview.channel_type.value}, {preview.language})"
        rows.append(
            "<tr>"
            f"<td>{html.escape(preview.templates.unique_name)}</td>"
            f"<td>{html.escape(preview.channel_type.value)}</td>"
            f"<td>{html.escape(preview.language)}</td>"
            f'<td><a class="preview-link" href="{quote(preview.page_name)}">{html.escape(label)}</a></td>'
            f"<td>{html.escape(_status(preview))}</td>"
            "</tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="5">No message type has templates.</td></tr>')

    body = (
        "<h1>Message previews</h1>\n"
        '<table class="previews">\n'
        "<tr><th>Message</th><th>Channel type</th><th>Language</th><th>Page</th><th>Status</th></tr>\n"
        + "\n".join(rows)
        + "\n</table>"
    )
    return _document("Message previews", body)


def render_page(preview: Preview) -> str:
    """Return the page of one preview."""
    title = f"{preview.templates.unique_name} ({preview.channel_type.value}, {preview.language})"
    parts = [
        '<p><a href="index.html">All previews</a></p>',
        f"<h1>{html.escape(title)}</h1>",
    ]

    if preview.error:
        parts.append(f'<p class="problem rendering-error">Rendering failed: {html.escape(preview.error)}</p>')
    if preview.missing:
        names = ", ".join(html.escape(name) for name in preview.missing)
        parts.append(
            f'<p class="problem missing-variables">Missing variables (add them to the context of '
            f"preview.json): {names}</p>"
        )

    if isinstance(preview.rendered, RenderedEmail):
        parts.append(_email_section(preview.rendered, preview.language))
    elif preview.rendered is not None:
        parts.append(_generic_section(preview.rendered))

    return _document(title, "\n".join(parts))


def _email_section(rendered: RenderedEmail, language: str) -> str:
    document = html_document(rendered, language)
    return (
        '<dl class="envelope">\n'
        f'<dt>Subject</dt><dd class="subject">{html.escape(one_line(rendered.subject))}</dd>\n'
        f'<dt>From name</dt><dd class="from-name">{html.escape(one_line(rendered.from_name))}</dd>\n'
        "</dl>\n"
        '<div class="bodies">\n'
        '<section><h2>HTML body</h2><iframe class="html-body" title="HTML body" sandbox="" '
        f'srcdoc="{html.escape(document, quote=True)}"></iframe></section>\n'
        f'<section><h2>Text body</h2><pre class="text-body">{html.escape(rendered.body)}</pre></section>\n'
        "</div>"
    )


def _generic_section(rendered: Any) -> str:
    if not attr.has(type(rendered)):
        return f"<pre>{html.escape(repr(rendered))}</pre>"
    rows = [
        f"<dt>{html.escape(name)}</dt><dd><pre>{html.escape(str(value))}</pre></dd>"
        for name, value in attr.asdict(rendered).items()
    ]
    return '<dl class="envelope">\n' + "\n".join(rows) + "\n</dl>"
