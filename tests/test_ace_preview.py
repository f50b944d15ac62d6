"""The ace_preview command: discovery, fixtures, the gallery pages, and missing variables."""

from __future__ import annotations

import html
import io
import json
import re
import socket
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.template import engines

from edx_ace.channel import ChannelType
from edx_ace.preview.discovery import (
    DEFAULT_RECIPIENT,
    FixtureError,
    find_message_types,
    load_fixture,
    template_dirs,
)
from edx_ace.preview.rendering import MISSING_VARIABLE_MARKER, visible_missing_variables

REPO_DIR = Path(__file__).resolve().parent.parent
EXAMPLE_FIXTURE = REPO_DIR / "example" / "templates" / "example" / "edx_ace" / "welcomemessage" / "preview.json"


def run_preview(*args: str) -> tuple[str, str]:
    """Run ``ace_preview`` with ``args`` and return its stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("ace_preview", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def field(page: str, css_class: str) -> str:
    """Return the unescaped text of the element with ``css_class`` in a gallery page."""
    match = re.search(rf'class="{css_class}"[^>]*>(.*?)</', page, re.DOTALL)
    assert match is not None, f"no element of class {css_class!r} in the page"
    return html.unescape(match.group(1))


def test_discovery_finds_app_and_dirs_templates():
    found = {item.unique_name: item for item in find_message_types()}

    assert {"example.welcomemessage", "testapp.broken", "testapp.welcome"} <= set(found)
    assert found["example.welcomemessage"].channel_types == (ChannelType.EMAIL,)
    assert found["example.welcomemessage"].fixture_path() == EXAMPLE_FIXTURE
    assert found["testapp.welcome"].fixture_path() is None


def test_discovery_merges_folders_in_search_order(tmp_path):
    first = tmp_path / "theme"
    second = tmp_path / "app"
    (first / "shop" / "edx_ace" / "receipt" / "email").mkdir(parents=True)
    (second / "shop" / "edx_ace" / "receipt" / "push").mkdir(parents=True)
    (second / "shop" / "edx_ace" / "receipt" / "preview.json").write_text("{}")
    (second / "shop" / "edx_ace" / "empty").mkdir(parents=True)
    (second / "shop" / "edx_ace" / "base_body.html").write_text("")

    [receipt] = find_message_types([first, second])

    assert receipt.unique_name == "shop.receipt"
    assert receipt.channel_types == (ChannelType.EMAIL, ChannelType.PUSH)
    assert receipt.folders == (first / "shop/edx_ace/receipt", second / "shop/edx_ace/receipt")
    assert receipt.fixture_path() == second / "shop/edx_ace/receipt/preview.json"


def test_template_dirs_include_dirs_and_apps():
    dirs = template_dirs()

    assert REPO_DIR / "tests" / "templates" in dirs
    assert REPO_DIR / "example" / "templates" in dirs


def test_example_fixture_decodes_datetimes():
    fixture = load_fixture(EXAMPLE_FIXTURE)

    assert fixture.recipient.username == "ada"
    assert fixture.context["courses"][0]["start"].year == 2027


def test_no_fixture_means_empty_context():
    fixture = load_fixture(None)

    assert fixture.context == {}
    assert fixture.recipient == DEFAULT_RECIPIENT


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "contains a list; write a JSON object"),
        ('{"contxt": {}}', "unknown keys contxt"),
        ('{"context": [1]}', "'context' in the preview fixture"),
        ('{"context": {"when": {"__ace__": "datetime", "value": "soon"}}}', "invalid datetime value 'soon'"),
        ('{"recipient": {"email_address": "a@example.com"}}', "the recipient cannot be identified"),
    ],
)
def test_invalid_fixture_named_in_error(tmp_path, content, expected):
    path = tmp_path / "preview.json"
    path.write_text(content)

    with pytest.raises(FixtureError) as raised:
        load_fixture(path)

    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_marker_is_restored_after_rendering():
    engine = engines["django"].engine
    before = engine.string_if_invalid

    with visible_missing_variables():
        assert engine.string_if_invalid == MISSING_VARIABLE_MARKER

    assert engine.string_if_invalid == before


def test_gallery_pages_for_each_language(tmp_path):
    stdout, _stderr = run_preview("--output", str(tmp_path), "--language", "en", "--language", "es")

    assert stdout.splitlines()[-1] == str(tmp_path / "index.html")
    english = (tmp_path / "example.welcomemessage.email.en.html").read_text()
    spanish = (tmp_path / "example.welcomemessage.email.es.html").read_text()
    assert field(english, "subject") == "Welcome to Example University, Ada!"
    assert field(english, "from-name") == "The Example University team"
    assert "Hello Ada," in field(english, "text-body")
    assert field(spanish, "subject") == "¡Te damos la bienvenida a Example University, Ada!"
    assert "Hola, Ada:" in field(spanish, "text-body")
    assert "missing-variables" not in english


def test_html_body_in_sandboxed_srcdoc(tmp_path):
    run_preview("--output", str(tmp_path), "--message", "example.welcomemessage")

    page = (tmp_path / "example.welcomemessage.email.en.html").read_text()
    srcdoc = html.unescape(re.search(r'<iframe[^>]* sandbox="" srcdoc="([^"]*)"', page).group(1))
    assert srcdoc.startswith("<!DOCTYPE html>")
    assert '<a href="https://courses.example.com/linear-algebra">Introduction to Linear Algebra</a>' in srcdoc
    assert ".banner { background: #0a3055;" in srcdoc


def test_index_links_every_page(tmp_path):
    run_preview("--output", str(tmp_path), "--language", "en", "--language", "es")

    index = (tmp_path / "index.html").read_text()
    links = re.findall(r'class="preview-link" href="([^"]+)"', index)
    assert len(links) == 2 * len(find_message_types())
    assert "example.welcomemessage.email.es.html" in links
    for link in links:
        assert (tmp_path / link).is_file(), link


def test_missing_variables_are_visible(tmp_path):
    _stdout, stderr = run_preview("--output", str(tmp_path), "--message", "testapp.welcome")

    page = (tmp_path / "testapp.welcome.email.en.html").read_text()
    assert "[[missing: name]]" in field(page, "text-body")
    assert "course, greeting, name, sender" in field(page, "problem missing-variables")
    assert "testapp.welcome.email.en.html: missing variables: course, greeting, name, sender" in stderr


def test_missing_variable_in_fixture_context(tmp_path, settings):
    templates = tmp_path / "templates"
    message_dir = templates / "shop" / "edx_ace" / "receipt"
    (message_dir / "email").mkdir(parents=True)
    for name, text in {
        "from_name.txt": "Shop",
        "subject.txt": "Order {{ order_id }}",
        "body.txt": "Thanks, {{ buyer.first_name }}.",
        "body.html": "<p>Thanks, {{ buyer.first_name }}.</p>",
    }.items():
        (message_dir / "email" / name).write_text(text)
    (message_dir / "preview.json").write_text(json.dumps({"context": {"order_id": 42, "buyer": {}}}))
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]

    run_preview("--output", str(tmp_path / "out"), "--message", "shop")

    page = (tmp_path / "out" / "shop.receipt.email.en.html").read_text()
    assert field(page, "subject") == "Order 42"
    assert field(page, "text-body") == "Thanks, [[missing: buyer.first_name]]."


def test_missing_variable_leaves_other_renders_alone(tmp_path):
    run_preview("--output", str(tmp_path), "--message", "testapp.welcome")

    rendered = engines["django"].from_string("[{{ absent }}]").render({})
    assert rendered == "[]"


def test_broken_template_gets_error_page(tmp_path):
    stdout, stderr = run_preview("--output", str(tmp_path), "--message", "testapp.broken")

    page = (tmp_path / "testapp.broken.email.en.html").read_text()
    assert "Rendering failed: TemplateSyntaxError" in page
    assert "testapp.broken.email.en.html: rendering failed: TemplateSyntaxError" in stderr
    assert "Wrote 1 preview page." in stdout


def test_invalid_fixture_gets_error_page(tmp_path, settings):
    templates = tmp_path / "templates"
    message_dir = templates / "shop" / "edx_ace" / "receipt"
    (message_dir / "email").mkdir(parents=True)
    (message_dir / "preview.json").write_text("{oops")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]

    _stdout, stderr = run_preview("--output", str(tmp_path / "out"), "--message", "shop.receipt")

    page = (tmp_path / "out" / "shop.receipt.email.en.html").read_text()
    assert "is not valid JSON" in page
    assert "preview.json is not valid JSON" in stderr


def test_strict_fails_on_missing_variables(tmp_path):
    with pytest.raises(CommandError) as raised:
        run_preview("--output", str(tmp_path), "--message", "testapp.welcome", "--strict")

    assert "1 of 1 pages failed to render or have missing variables (--strict)" in str(raised.value)
    assert (tmp_path / "index.html").is_file()


def test_strict_passes_on_complete_fixture(tmp_path):
    stdout, stderr = run_preview("--output", str(tmp_path), "--message", "example", "--strict")

    assert stderr == ""
    assert "Wrote 1 preview page." in stdout


def test_unknown_language_named(tmp_path):
    with pytest.raises(CommandError) as raised:
        run_preview("--output", str(tmp_path), "--language", "xx")

    assert "--language 'xx' is not in settings.LANGUAGES; use one of: en, es, fr, es-419" in str(raised.value)


def test_unknown_message_named(tmp_path):
    with pytest.raises(CommandError) as raised:
        run_preview("--output", str(tmp_path), "--message", "example.goodbye")

    assert "--message 'example.goodbye' matches no message type; found: example.welcomemessage" in str(raised.value)


def test_no_templates_found(tmp_path, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path], "APP_DIRS": False}]

    with pytest.raises(CommandError) as raised:
        run_preview("--output", str(tmp_path / "out"))

    assert "no message templates found" in str(raised.value)


def test_unwritable_output_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(CommandError) as raised:
        run_preview("--output", str(blocker / "gallery"))

    assert f"cannot write the gallery to --output {str(blocker / 'gallery')!r}" in str(raised.value)


def test_serve_port_out_of_range(tmp_path):
    with pytest.raises(CommandError) as raised:
        run_preview("--output", str(tmp_path), "--serve", "70000")

    assert "--serve port 70000 is out of range" in str(raised.value)


def test_channel_type_without_renderer(tmp_path, settings):
    templates = tmp_path / "templates"
    (templates / "shop" / "edx_ace" / "receipt" / "push").mkdir(parents=True)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]

    run_preview("--output", str(tmp_path / "out"), "--message", "shop.receipt")

    page = (tmp_path / "out" / "shop.receipt.push.en.html").read_text()
    assert "Rendering failed: UnsupportedChannelError: no renderer for push messages" in page


def test_serve_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(CommandError) as raised:
            run_preview("--output", str(tmp_path), "--message", "example", "--serve", str(port))

    assert f"--serve cannot listen on 127.0.0.1:{port}" in str(raised.value)
    assert "pick another port, or 0 for a free one" in str(raised.value)
