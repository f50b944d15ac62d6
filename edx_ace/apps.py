"""The Django app configuration of ACE."""

from __future__ import annotations

from django.apps import AppConfig
from django.core.signals import setting_changed


def _clear_caches_on_setting_change(sender, setting, **kwargs):
    from edx_ace import channel, conf, policy, template_cache
    from edx_ace.channel import connections

    if conf.is_ace_setting(setting):
        channel.clear_caches()
        policy.clear_caches()
        template_cache.clear()
    if setting in connections.CONNECTION_SETTINGS:
        connections.close()


class EdxAceConfig(AppConfig):
    """Registers ACE's system checks and keeps its caches in step with the settings."""

    name = "edx_ace"
    label = "edx_ace"
    verbose_name = "Automated Communication Engine"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from edx_ace import checks  # noqa: F401  (importing registers the checks)

        setting_changed.connect(_clear_caches_on_setting_change, dispatch_uid="edx_ace.clear_caches")
