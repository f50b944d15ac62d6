"""Django app configuration of the benchmark's message app."""

from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    """The app whose label starts the digest's template paths."""

    name = "bench_app"
    label = "bench_app"
    verbose_name = "edx-ace benchmark messages"
