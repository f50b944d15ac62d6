"""The compiled-template cache of the renderers, for deployments that list their loaders."""

from __future__ import annotations

import pytest
from django.template import TemplateDoesNotExist

from edx_ace import template_cache
from edx_ace.channel import ChannelType
from edx_ace.presentation import render
from tests.conftest import make_message

EXPLICIT_LOADERS = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]


@pytest.fixture
def template_dir(tmp_path, settings):
    """A template folder with a base layout and one message, behind explicitly listed loaders."""
    email = tmp_path / "cachedapp" / "edx_ace" / "note" / "email"
    email.mkdir(parents=True)
    (tmp_path / "cachedapp" / "edx_ace" / "base.html").write_text("<main>{% block content %}{% endblock %}</main>")
    (email / "body.html").write_text(
        '{% extends "cachedapp/edx_ace/base.html" %}{% block content %}Hello {{ name }}{% endblock %}'
    )
    (email / "body.txt").write_text("Hello {{ name }}")
    (email / "subject.txt").write_text("Note")
    (email / "from_name.txt").write_text("Team")
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(tmp_path)],
            "OPTIONS": {"loaders": EXPLICIT_LOADERS},
        }
    ]
    return tmp_path


def note():
    return make_message(name="note", context={"name": "Ada"}).__class__(
        app_label="cachedapp", name="note", recipient=None, context={"name": "Ada"}
    )


def rendered_body():
    return render(ChannelType.EMAIL, note()).body_html


def test_explicit_loaders_compile_once(template_dir):
    assert rendered_body() == "<main>Hello Ada</main>"
    (template_dir / "cachedapp" / "edx_ace" / "base.html").write_text("<div>{% block content %}{% endblock %}</div>")
    (template_dir / "cachedapp" / "edx_ace" / "note" / "email" / "body.txt").write_text("Changed")

    rendered = render(ChannelType.EMAIL, note())

    assert rendered.body_html == "<main>Hello Ada</main>"
    assert rendered.body == "Hello Ada"


def test_debug_shows_edits_at_once(template_dir, settings):
    settings.DEBUG = True
    assert rendered_body() == "<main>Hello Ada</main>"

    (template_dir / "cachedapp" / "edx_ace" / "base.html").write_text("<div>{% block content %}{% endblock %}</div>")

    assert rendered_body() == "<div>Hello Ada</div>"


def test_cache_can_be_turned_off(template_dir, settings):
    settings.ACE_TEMPLATE_CACHE = False
    assert rendered_body() == "<main>Hello Ada</main>"

    (template_dir / "cachedapp" / "edx_ace" / "base.html").write_text("<div>{% block content %}{% endblock %}</div>")

    assert rendered_body() == "<div>Hello Ada</div>"


def test_templates_setting_change_clears_cache(template_dir, settings):
    assert rendered_body() == "<main>Hello Ada</main>"
    (template_dir / "cachedapp" / "edx_ace" / "base.html").write_text("<div>{% block content %}{% endblock %}</div>")

    settings.TEMPLATES = [dict(settings.TEMPLATES[0])]

    assert rendered_body() == "<div>Hello Ada</div>"


def test_missing_template_is_remembered(template_dir):
    path = "cachedapp/edx_ace/note/email/head.html"
    with pytest.raises(TemplateDoesNotExist, match=r"head\.html"):
        template_cache.get_template(path)

    (template_dir / path).write_text("<title>late</title>")

    with pytest.raises(TemplateDoesNotExist, match=r"head\.html"):
        template_cache.get_template(path)
    template_cache.clear()
    assert template_cache.get_template(path).render({}) == "<title>late</title>"


def test_optional_head_renders_empty(template_dir):
    assert render(ChannelType.EMAIL, note()).head_html == ""


def test_default_loaders_use_django_cache(settings):
    template = template_cache.get_template("testapp/edx_ace/welcome/email/body.html")

    assert template is template_cache.get_template("testapp/edx_ace/welcome/email/body.html")
    assert template.template.engine is template.backend.engine
