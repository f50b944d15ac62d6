"""
Django system checks for ACE's settings, run by ``manage.py check`` and at start-up.

Each check has a stable id (``edx_ace.E001``) and a message that names the setting and the fix.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from django.conf import global_settings, settings
from django.core.checks import CheckMessage, Error, Warning, register

from edx_ace import conf, language
from edx_ace.channel import CHANNEL_NAMESPACE, ROUTING_SETTINGS, ChannelType
from edx_ace.channel import sailthru as sailthru_channel
from edx_ace.options import address_problem
from edx_ace.policy import POLICY_NAMESPACE
from edx_ace.render_pool import fork_available


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
                    f"{setting} names {name!r}, but no installed package provides an entry point of that name "
                    f"in the group {namespace}.",
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

    messages: list[CheckMessage] = []
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
        if len(type_names) > 1 and not _default_channel_setting_is_set(channel_type):
            messages.append(
                Error(
                    f"ACE_ENABLED_CHANNELS enables {len(type_names)} {channel_type} channels "
                    f"({', '.join(type_names)}), so ACE cannot choose one.",
                    hint=f"Keep one {channel_type} channel in ACE_ENABLED_CHANNELS, or name the default one in "
                    f"ACE_CHANNEL_DEFAULT_{channel_type.upper()}.",
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


def _default_channel_setting_is_set(channel_type_value: str) -> bool:
    for channel_type, (default_setting, _transactional) in ROUTING_SETTINGS.items():
        if channel_type.value == channel_type_value:
            return bool(conf.get(default_setting))
    return False


@register("edx_ace")
def check_routing(app_configs=None, **kwargs):
    """
    Check that each routing setting names an enabled channel of its channel type.

    ACE never replaces a channel that a routing setting names with another one, so such a
    setting is an error: otherwise transactional email could go out by an unchosen channel.
    """
    enabled_names = conf.get("ACE_ENABLED_CHANNELS")
    if isinstance(enabled_names, str) or not isinstance(enabled_names, list | tuple):
        return []

    messages = []
    installed = _installed_entry_points(CHANNEL_NAMESPACE)
    for channel_type, settings_of_type in ROUTING_SETTINGS.items():
        for setting in settings_of_type:
            if setting is None:
                continue
            messages.extend(_check_routing_setting(setting, channel_type, enabled_names, installed))
    return messages


def _check_routing_setting(setting: str, channel_type: ChannelType, enabled_names, installed) -> list:
    name = conf.get(setting)
    if name is None or name == "":
        return []
    if not isinstance(name, str):
        return [
            Error(
                f"{setting} must be a channel name (str), got {name!r}.",
                hint=f'Write it as a name from ACE_ENABLED_CHANNELS, for example {setting} = "django_email".',
                id="edx_ace.E123",
            )
        ]
    if name not in enabled_names:
        return [
            Error(
                f"{setting} names the channel {name!r}, which is not in ACE_ENABLED_CHANNELS "
                f"({', '.join(enabled_names) or 'empty'}).",
                hint=f"Add {name!r} to ACE_ENABLED_CHANNELS or set {setting} to an enabled {channel_type} channel.",
                id="edx_ace.E120",
            )
        ]
    if name not in installed:
        # check_enabled_plugins reports the missing entry point (edx_ace.E001).
        return []

    try:
        channel_class = installed[name].load()
    except Exception:
        # check_channels reports the import error (edx_ace.E005).
        return []
    if channel_class.channel_type != channel_type:
        return [
            Error(
                f"{setting} names the channel {name!r}, which is a {channel_class.channel_type} channel, "
                f"not a {channel_type} channel.",
                hint=f"Set {setting} to a {channel_type} channel from ACE_ENABLED_CHANNELS.",
                id="edx_ace.E121",
            )
        ]
    if not channel_class.enabled():
        return [
            Error(
                f"{setting} names the channel {name!r}, which is in ACE_ENABLED_CHANNELS but not enabled, "
                "because its settings are incomplete (see edx_ace.W001); ACE will not send its messages by "
                "another channel instead.",
                hint=f"Complete the settings of {name!r}, or set {setting} to an enabled {channel_type} channel.",
                id="edx_ace.E122",
            )
        ]
    return []


@register("edx_ace")
def check_setting_values(app_configs=None, **kwargs):
    """Check the values of settings that ACE falls back from at send time, so the fallback is seen."""
    messages: list[CheckMessage] = []

    delay = conf.get("ACE_DEFAULT_EXPIRATION_DELAY")
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay < float("inf"):
        default, _meaning = conf.SETTINGS["ACE_DEFAULT_EXPIRATION_DELAY"]
        messages.append(
            Error(
                f"ACE_DEFAULT_EXPIRATION_DELAY is {delay!r:.80}, not a number of seconds >= 0, so ACE uses "
                f"{default} seconds instead.",
                hint="Set ACE_DEFAULT_EXPIRATION_DELAY to a number of seconds such as 120, or remove it.",
                id="edx_ace.E140",
            )
        )

    chunk_size = conf.get("ACE_SEND_MANY_CHUNK_SIZE")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        messages.append(
            Error(
                f"ACE_SEND_MANY_CHUNK_SIZE is {chunk_size!r:.80}, not a positive integer, so ace.send_many() raises "
                "ValueError and a reused SMTP connection sends one email only.",
                hint="Set ACE_SEND_MANY_CHUNK_SIZE to a whole number such as 100, or remove it.",
                id="edx_ace.E142",
            )
        )

    processes = conf.get("ACE_SEND_MANY_RENDER_PROCESSES")
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 0:
        messages.append(
            Error(
                f"ACE_SEND_MANY_RENDER_PROCESSES is {processes!r:.80}, not an integer >= 0, so ace.send_many() raises "
                "ValueError.",
                hint="Set ACE_SEND_MANY_RENDER_PROCESSES to 0 to render in the calling process, or to the number "
                "of spare cores, or remove it.",
                id="edx_ace.E144",
            )
        )
    elif processes > 0 and not fork_available():
        messages.append(
            Warning(
                f"ACE_SEND_MANY_RENDER_PROCESSES is {processes}, but this platform cannot fork, so ace.send_many() "
                "renders in the calling process.",
                hint="Set ACE_SEND_MANY_RENDER_PROCESSES to 0 on this platform.",
                id="edx_ace.W144",
            )
        )

    reuse = conf.get("ACE_EMAIL_CONNECTION_REUSE_SECONDS")
    if isinstance(reuse, bool) or not isinstance(reuse, int | float) or not reuse >= 0:
        messages.append(
            Error(
                f"ACE_EMAIL_CONNECTION_REUSE_SECONDS is {reuse!r:.80}, not a number of seconds >= 0, so ACE keeps no "
                "SMTP connection open between sends.",
                hint="Set ACE_EMAIL_CONNECTION_REUSE_SECONDS to a number of seconds such as 30, or 0 to turn reuse off.",
                id="edx_ace.E143",
            )
        )

    names = conf.get("ACE_ENABLED_CHANNELS")
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "")
    # An empty DEFAULT_FROM_EMAIL disables the channel, which edx_ace.W001 reports.
    if isinstance(names, list | tuple) and "django_email" in names and sender:
        problem = address_problem(sender)
        if problem:
            messages.append(
                Error(
                    f"DEFAULT_FROM_EMAIL is not one valid sender address ({problem}), so every email of the "
                    "django_email channel would carry an invalid From header.",
                    hint="Set DEFAULT_FROM_EMAIL to an address such as 'noreply@example.com' or "
                    "'Example <noreply@example.com>'.",
                    id="edx_ace.E141",
                )
            )

    if language.match(settings.LANGUAGE_CODE) is None:
        messages.append(
            Warning(
                f"LANGUAGE_CODE {settings.LANGUAGE_CODE!r} is not in LANGUAGES, yet ACE renders messages whose "
                "language is not in LANGUAGES in LANGUAGE_CODE.",
                hint="Add LANGUAGE_CODE to LANGUAGES, or set LANGUAGE_CODE to one of the LANGUAGES codes.",
                id="edx_ace.W140",
            )
        )
    return messages


# The cache backends whose entries one worker process cannot see from another, or that
# keep nothing at all.
_UNSHARED_CACHE_BACKENDS = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps entries in each process's own memory",
    "django.core.cache.backends.dummy.DummyCache": "keeps nothing",
}


def _celery_configured() -> bool:
    # Celery's Django integration reads the settings named CELERY_*, so one of them shows
    # that this project runs Celery workers.
    return any(name.startswith("CELERY_") for name in dir(settings))


@register("edx_ace")
def check_celery_settings(app_configs=None, **kwargs):
    """Check the settings of the Celery task (``edx_ace.tasks``) and of its delivery records."""
    messages: list[CheckMessage] = []
    alias = conf.get("ACE_DELIVERY_RECORD_CACHE")
    caches_setting = getattr(settings, "CACHES", {})
    if alias not in caches_setting:
        messages.append(
            Error(
                f"ACE_DELIVERY_RECORD_CACHE is {alias!r}, which is not an alias in CACHES "
                f"({', '.join(sorted(caches_setting)) or 'none'}).",
                hint="Set ACE_DELIVERY_RECORD_CACHE to one of the CACHES aliases, or add that alias to CACHES.",
                id="edx_ace.E160",
            )
        )
    elif _celery_configured():
        backend = caches_setting[alias].get("BACKEND", "")
        if backend in _UNSHARED_CACHE_BACKENDS:
            messages.append(
                Warning(
                    f"The delivery records cache {alias!r} uses {backend}, which "
                    f"{_UNSHARED_CACHE_BACKENDS[backend]}, so a Celery task redelivered to another worker "
                    "process can send a message again.",
                    hint="Point ACE_DELIVERY_RECORD_CACHE at a cache shared by every worker, such as Redis "
                    "or Memcached. The warning appears because a CELERY_* setting exists; silence it if ACE "
                    "does not run in Celery workers.",
                    id="edx_ace.W160",
                )
            )

    timeout = conf.get("ACE_DELIVERY_RECORD_TIMEOUT")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        messages.append(
            Error(
                f"ACE_DELIVERY_RECORD_TIMEOUT must be a positive number of seconds, got {timeout!r}.",
                hint="Set it to at least the longest time a message's task may still run, for example "
                "7 * 24 * 60 * 60 for a week.",
                id="edx_ace.E161",
            )
        )

    task_name = conf.get("ACE_CELERY_TASK_NAME")
    if not isinstance(task_name, str) or not task_name:
        messages.append(
            Error(
                f"ACE_CELERY_TASK_NAME must be a non-empty str, got {task_name!r}.",
                hint='Remove the setting to use "edx_ace.tasks.send_message", or set another task name.',
                id="edx_ace.E162",
            )
        )

    for setting in ("ACE_CELERY_QUEUE", "ACE_CELERY_ROUTING_KEY"):
        value = conf.get(setting)
        if value is not None and (not isinstance(value, str) or not value):
            messages.append(
                Error(
                    f"{setting} must be a non-empty str or None, got {value!r}.",
                    hint=f'Set {setting} to a name such as "edx_ace", or remove it to leave routing to Celery.',
                    id="edx_ace.E163",
                )
            )
    return messages


#: The value Django gives ``DEFAULT_FROM_EMAIL`` when a project does not set it.
DJANGO_DEFAULT_FROM_EMAIL = global_settings.DEFAULT_FROM_EMAIL


@register("edx_ace")
def check_default_from_email(app_configs=None, **kwargs):
    """
    Warn when an enabled Django email channel would send from Django's placeholder address.

    An empty ``DEFAULT_FROM_EMAIL`` is reported by ``edx_ace.W001`` instead, through the
    channel's ``configuration_problems()``.
    """
    from edx_ace.channel.django_email import DjangoEmailChannel

    names = conf.get("ACE_ENABLED_CHANNELS")
    if isinstance(names, str) or not isinstance(names, list | tuple):
        return []
    if getattr(settings, "DEFAULT_FROM_EMAIL", None) != DJANGO_DEFAULT_FROM_EMAIL:
        return []

    installed = _installed_entry_points(CHANNEL_NAMESPACE)
    messages = []
    for name in names:
        if name not in installed:
            continue
        try:
            channel_class = installed[name].load()
        except Exception:
            # edx_ace.E005 reports a channel that fails to import.
            continue
        if isinstance(channel_class, type) and issubclass(channel_class, DjangoEmailChannel):
            messages.append(
                Warning(
                    f"DEFAULT_FROM_EMAIL is Django's placeholder, so the channel {name!r} named in ACE_ENABLED_CHANNELS "
                    f"sends email from Django's placeholder address {DJANGO_DEFAULT_FROM_EMAIL!r}.",
                    hint='Set DEFAULT_FROM_EMAIL to the address emails are sent from, such as "noreply@example.com".',
                    id="edx_ace.W003",
                )
            )
    return messages
