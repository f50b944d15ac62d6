"""
Loading of channel and policy plugins through stevedore entry points.

Only the plugins named in a setting are imported: stevedore's ``NamedExtensionManager``
skips the other entry points before loading them. A named plugin that fails to import,
or that no installed package provides, is logged as an error naming the setting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

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

    log.warning(
        "%s plugin %r is installed and named in %s but reports that it is not enabled; "
        "run `manage.py check` for the reason",
        namespace,
        extension.name,
        SETTING_FOR_NAMESPACE.get(namespace, "its setting"),
    )
    return False


def get_manager(namespace: str, names: Iterable[str] | None = None) -> extension.ExtensionManager:
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
                "%s names %s, but no installed package provides such a %s entry point; "
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
    """Drop the extensions that ``check_plugin`` rejects and instantiate the others."""
    kept = []
    for ext in manager.extensions:
        if not check_plugin(ext, namespace, names):
            continue
        try:
            ext.obj = ext.plugin()
        except Exception as error:
            log.error("Failed to create %s plugin %r: %s", namespace, ext.name, error, exc_info=error)
            continue
        kept.append(ext)
    manager.extensions = kept
    manager._extensions_by_name_cache = None
    return manager


def get_plugins(namespace: str, names: Iterable[str] | None = None) -> list[extension.Extension]:
    """Return the enabled, instantiated extensions of ``namespace`` limited to ``names``."""
    return list(get_manager(namespace, names).extensions)
