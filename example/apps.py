"""Django app configuration for the example app."""

from django.apps import AppConfig


class ExampleConfig(AppConfig):
    """The example app, whose label is the first part of its template paths."""

    name = "example"
    label = "example"
    verbose_name = "edx-ace example"
