"""
Loading of channel and policy plugins through stevedore entry points.

Only the plugins named in a setting are imported: stevedore's ``NamedExtensionManager``
skips the other entry points before loading them. A named plugin that fails to import,
or that no installed package provides, is logged as an error naming the setting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from stevedore import extension, named

log = logging.getLogger(__name__)

#: The setting that enables the plugins of each entry point group, for error messages.
SETTING_FOR_NAMESPACE = {
    "openedx.ace.channel": "ACE_ENABLED_CHANNELS",
    "openedx.ace.policy": "ACE_ENABLED_POLICIES",
}


def check_plugin(extension: extension.Extension, namespace: str, names: Iterable[str] | None = None) -> bool:
    """
    Return whether a loaded extension should be used.

    It should when ``names`` is ``None`` or contains the extension's name, and the plugin
    class's ``enabled()`` returns true.
    """
    if names is not None and extension.name not in names:
        return False

    plugin = extension.plugin
    is_enabled = getattr(plugin, "enabled", None)
    if is_enabled is None:
        return True
    if is_enabled():
        return True

    problems = getattr(plugin, "configuration_problems", None)
    reason = " ".join(problems()) if problems is not None else ""
    log.warning(
        "%s plugin %r is installed and named in %s but reports that it is not enabled: %s",
        namespace,
        extension.name,
        SETTING_FOR_NAMESPACE.get(namespace, "its setting"),
        reason or "run `manage.py check` for the reason",
    )
    return False


class PluginManager(Protocol):
    """The stevedore manager that :func:`get_manager` returns, with the names it could not load."""

    extensions: list[extension.Extension[Any]]
    unavailable_names: list[str]


def get_manager(namespace: str, names: Iterable[str] | None = None) -> PluginManager:
    """
    Return a stevedore manager holding the enabled plugins of ``namespace``, instantiated.

    With ``names`` given, only those entry points are imported, in the order of
    ``names``. With ``names`` of ``None``, every plugin of the namespace is loaded.
    """
    setting = SETTING_FOR_NAMESPACE.get(namespace, "its setting")
    failed_names: set[str] = set()

    def report_load_failure(_manager, entry_point, error):
        failed_names.add(entry_point.name)
        log.error(
            "Failed to load %s plugin %r (named in %s): %s",
            namespace,
            entry_point.name,
            setting,
            error,
            exc_info=error,
        )

    def report_missing(missing_names):
        not_installed = sorted(set(missing_names) - failed_names)
        if not_installed:
            log.error(
                "%s names %s, but no installed package provides an entry point of that name in the group %s; "
                "install the package that provides it or remove the name from %s",
                setting,
                ", ".join(repr(name) for name in not_installed),
                namespace,
                setting,
            )

    if names is None:
        manager = extension.ExtensionManager(
            namespace,
            invoke_on_load=False,
            on_load_failure_callback=report_load_failure,
        )
    else:
        names = list(names)
        manager = named.NamedExtensionManager(
            namespace,
            names,
            invoke_on_load=False,
            name_order=True,
            on_load_failure_callback=report_load_failure,
            on_missing_entrypoints_callback=report_missing,
        )
    return _filtered(manager, namespace, names)


def _filtered(manager, namespace, names=None):
    """
    Drop the extensions that ``check_plugin`` rejects and instantiate the others.

    The manager's ``unavailable_names`` lists the requested names that could not be used
    because no entry point has them or they failed to import or instantiate. A plugin
    whose ``enabled()`` returned false is not in it, since it opted out.
    """
    loaded_extensions = []
    opted_out = set()
    for ext in manager.extensions:
        if not check_plugin(ext, namespace, names):
            opted_out.add(ext.name)
            continue
        try:
            ext.obj = ext.plugin()
        except Exception as error:
            log.error("Failed to create %s plugin %r: %s", namespace, ext.name, error, exc_info=error)
            continue
        loaded_extensions.append(ext)
    manager.extensions = loaded_extensions
    manager._extensions_by_name_cache = None
    loaded = {ext.name for ext in loaded_extensions}
    manager.unavailable_names = sorted(set(names or ()) - loaded - opted_out)
    return manager


def get_plugins(namespace: str, names: Iterable[str] | None = None) -> list[extension.Extension]:
    """
    Return the enabled, instantiated extensions of ``namespace`` limited to ``names``.

    Raises:
        ValueError: ``names`` is a single string or not a list of strings, a mistake in
            the setting that enables the plugins.
    """
    if names is not None and (isinstance(names, str) or not isinstance(names, list | tuple)):
        setting = SETTING_FOR_NAMESPACE.get(namespace, "the setting")
        raise ValueError(
            f"{setting} must be a list of plugin names, got {type(names).__name__} {names!r:.80}; "
            f'write it as a list, for example {setting} = ["name"]'
        )
    return list(get_manager(namespace, names).extensions)


def check_plugin_names(setting: str, names) -> list[str]:
    """
    Return ``names``, the value of ``setting``, as a list of plugin names.

    Raises:
        ImproperlyConfigured: ``names`` is not a list or tuple of str.
    """
    if isinstance(names, list | tuple) and all(isinstance(name, str) for name in names):
        return list(names)
    example = f'["{names}"]' if isinstance(names, str) else '["file_email"]'
    raise ImproperlyConfigured(f"{setting} must be a list of plugin names, got {names!r}; write it as {example}")
