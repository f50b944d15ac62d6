"""
A cache of compiled templates for the renderers, keyed by template path.

Django caches compiled templates only when it builds the loaders itself. A deployment
that lists its loaders in ``TEMPLATES[...]["OPTIONS"]["loaders"]`` without wrapping them
in ``django.template.loaders.cached.Loader`` makes Django read and compile every template,
and every ``{% extends %}`` parent, on each render. For such an engine this module builds
a copy whose loaders are wrapped in Django's cached loader, so a template and the
templates it extends or includes are compiled once per process.

The cache is bypassed while ``DEBUG`` (or the engine's ``debug`` option) is on, so edits
to templates show at once, and when ``ACE_TEMPLATE_CACHE`` is false. It is cleared when
``TEMPLATES``, ``DEBUG`` or an ``ACE_*`` setting changes (see ``edx_ace.apps``), and by
:func:`clear`.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.template import Engine, TemplateDoesNotExist, engines
from django.template.backends.django import DjangoTemplates
from django.template.backends.django import Template as DjangoBackendTemplate
from django.template.loader import get_template as django_get_template

from edx_ace import conf

CACHED_LOADER = "django.template.loaders.cached.Loader"

_lock = threading.Lock()
#: Template path -> the backend template, or the ``TemplateDoesNotExist`` it raised.
_templates: dict[str, Any] = {}
#: ``id()`` of a Django backend -> (the backend, the engine that compiles for ACE).
_engines: dict[int, tuple[DjangoTemplates, Engine]] = {}


def get_template(path: str) -> Any:
    """
    Return the template at ``path``, as ``django.template.loader.get_template()`` does.

    Raises:
        TemplateDoesNotExist: no template engine has ``path``; a missing template is
            remembered too, so an optional template costs one lookup per process.
    """
    if not _enabled():
        return django_get_template(path)

    found = _templates.get(path)
    if found is None:
        found = _find(path)
        _templates[path] = found
    if isinstance(found, TemplateDoesNotExist):
        raise TemplateDoesNotExist(path, tried=found.tried, chain=found.chain)
    return found


def clear() -> None:
    """Forget every compiled template and cached engine, so the next render reads the files."""
    with _lock:
        _templates.clear()
        _engines.clear()


def _enabled() -> bool:
    return not settings.DEBUG and bool(conf.get("ACE_TEMPLATE_CACHE"))


def _find(path: str) -> Any:
    """Return the first engine's template at ``path``, or the ``TemplateDoesNotExist`` to raise."""
    chain = []
    for backend in engines.all():
        try:
            if isinstance(backend, DjangoTemplates) and not backend.engine.debug:
                return DjangoBackendTemplate(_engine_for(backend).get_template(path), backend)
            return backend.get_template(path)
        except TemplateDoesNotExist as error:
            chain.append(error)
    return TemplateDoesNotExist(path, chain=chain)


def _engine_for(backend: DjangoTemplates) -> Engine:
    """Return ``backend``'s engine when it caches compiled templates, else a caching copy of it."""
    entry = _engines.get(id(backend))
    if entry is not None and entry[0] is backend:
        return entry[1]

    with _lock:
        engine = backend.engine
        if not all(_is_cached_loader(loader) for loader in engine.loaders):
            engine = _caching_copy(engine)
        _engines[id(backend)] = (backend, engine)
    return engine


def _is_cached_loader(loader) -> bool:
    name = loader[0] if isinstance(loader, list | tuple) else loader
    return name == CACHED_LOADER


def _caching_copy(engine: Engine) -> Engine:
    """Return an engine like ``engine`` whose loaders sit behind Django's cached loader."""
    return Engine(
        dirs=engine.dirs,
        app_dirs=False,
        context_processors=engine.context_processors,
        debug=engine.debug,
        loaders=[(CACHED_LOADER, list(engine.loaders))],
        string_if_invalid=engine.string_if_invalid,
        file_charset=engine.file_charset,
        libraries=engine.libraries,
        builtins=engine.builtins[len(Engine.default_builtins) :],
        autoescape=engine.autoescape,
    )
