"""
Django system checks for ACE's settings, run by ``manage.py check`` and at start-up.

Each check has a stable id (``edx_ace.E001``) and a message that names the setting and the fix.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from edx_ace import conf
from edx_ace.channel import CHANNEL_NAMESPACE
from edx_ace.channel import sailthru as sailthru_channel
from edx_ace.policy import POLICY_NAMESPACE


def _installed_entry_points(namespace):
    return {entry_point.name: entry_point for entry_point in entry_points(group=namespace)}


def _check_names(setting, namespace, missing_id, type_id):
    messages = []
    names = conf.get(setting)
    if isinstance(names, str) or not isinstance(names, list | tuple):
        return [
            Error(
                f"{setting} must be a list of plugin names, got {names!r}.",
                hint=f'Write it as a list, for example {setting} = ["{names}"].',
                id=type_id,
            )
        ]

    installed = _installed_entry_points(namespace)
    for name in names:
        if name not in installed:
            known = ", ".join(sorted(installed)) or "none"
            messages.append(
                Error(
                    f"{setting} names {name!r}, but no installed package provides a {namespace} entry point "
                    f"of that name.",
                    hint=f"Install the package that provides it or remove it from {setting}. Installed: {known}.",
                    id=missing_id,
                )
            )
    return messages


@register("edx_ace")
def check_enabled_plugins(app_configs=None, **kwargs):
    """Check that every enabled channel and policy name has an installed entry point."""
    return _check_names("ACE_ENABLED_CHANNELS", CHANNEL_NAMESPACE, "edx_ace.E001", "edx_ace.E002") + _check_names(
        "ACE_ENABLED_POLICIES", POLICY_NAMESPACE, "edx_ace.E003", "edx_ace.E004"
    )


@register("edx_ace")
def check_channels(app_configs=None, **kwargs):
    """Check that each enabled channel can be used and that each channel type has one channel."""
    names = conf.get("ACE_ENABLED_CHANNELS")
    if isinstance(names, str) or not isinstance(names, list | tuple):
        return []

    messages = []
    installed = _installed_entry_points(CHANNEL_NAMESPACE)
    names_by_type: dict[str, list[str]] = {}
    for name in names:
        if name not in installed:
            continue
        try:
            channel_class = installed[name].load()
        except Exception as error:
            messages.append(
                Error(
                    f"The channel {name!r} named in ACE_ENABLED_CHANNELS failed to import: {error}",
                    hint="Install the channel's package with its extras, or remove it from ACE_ENABLED_CHANNELS.",
                    id="edx_ace.E005",
                )
            )
            continue

        problems = channel_class.configuration_problems() if hasattr(channel_class, "configuration_problems") else []
        if problems or not channel_class.enabled():
            reason = " ".join(problems) or "its enabled() returned False."
            messages.append(
                Warning(
                    f"The channel {name!r} named in ACE_ENABLED_CHANNELS is not enabled, so ACE will not use it: "
                    f"{reason}",
                    hint="Complete the channel's settings, or remove it from ACE_ENABLED_CHANNELS.",
                    id="edx_ace.W001",
                )
            )
            continue
        names_by_type.setdefault(str(channel_class.channel_type), []).append(name)

    for channel_type, type_names in names_by_type.items():
        if len(type_names) > 1:
            messages.append(
                Error(
                    f"ACE_ENABLED_CHANNELS enables {len(type_names)} {channel_type} channels "
                    f"({', '.join(type_names)}), so ACE cannot choose one.",
                    hint=f"Keep one {channel_type} channel in ACE_ENABLED_CHANNELS.",
                    id="edx_ace.E006",
                )
            )
    return messages


@register("edx_ace")
def check_sailthru_settings(app_configs=None, **kwargs):
    """
    Check the optional Sailthru settings when ``sailthru_email`` is enabled.

    Missing required settings and a missing client library are reported by ``edx_ace.W001``
    through the channel's ``configuration_problems()``, so they are not repeated here.
    """
    names = conf.get("ACE_ENABLED_CHANNELS")
    if isinstance(names, str) or not isinstance(names, list | tuple) or "sailthru_email" not in names:
        return []

    messages: list[CheckMessage] = []
    timeout_problem = sailthru_channel.timeout_problem()
    if timeout_problem:
        messages.append(
            Error(
                timeout_problem,
                hint="The sailthru_email channel fails every delivery until it is fixed.",
                id="edx_ace.E100",
            )
        )
    api_url_problem = sailthru_channel.api_url_problem()
    if api_url_problem:
        messages.append(
            Error(
                api_url_problem,
                hint="The sailthru_email channel fails every delivery until it is fixed.",
                id="edx_ace.E101",
            )
        )
    if conf.get("ACE_CHANNEL_SAILTHRU_DEBUG") and not settings.DEBUG:
        messages.append(
            Warning(
                "ACE_CHANNEL_SAILTHRU_DEBUG is true while DEBUG is false, so the sailthru_email channel logs each "
                "email instead of sending it.",
                hint="Set ACE_CHANNEL_SAILTHRU_DEBUG = False to send through Sailthru.",
                id="edx_ace.W100",
            )
        )
    return messages
