"""Packaging for edx-ace, the Automated Communication Engine."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def read_version():
    """Read ``__version__`` from the package without importing it (importing needs Django)."""
    source = (HERE / "edx_ace" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", source, re.MULTILINE)
    if match is None:
        raise RuntimeError('edx_ace/__init__.py has no line of the form __version__ = "X.Y.Z"')
    return match.group(1)


def read_requirements(name):
    """Return the requirement lines of ``requirements/<name>``, without comments or -r/-c lines."""
    requirements = []
    for line in (HERE / "requirements" / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirements.append(line)
    return requirements


setup(
    name="edx-ace",
    version=read_version(),
    description="Automated Communication Engine: templated messages to learners over pluggable channels",
    long_description=(HERE / "README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    author="edX",
    url="https://github.com/openedx/edx-ace",
    license="AGPL-3.0-only",
    license_files=["LICENSE"],
    packages=find_packages(
        include=["edx_ace", "edx_ace.*"],
        exclude=["tests", "tests.*", "example", "example.*", "bench", "bench.*"],
    ),
    package_data={"edx_ace": ["py.typed"]},
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.11",
    install_requires=read_requirements("base.in"),
    extras_require={
        "sailthru": ["sailthru-client"],
        "newrelic": ["newrelic"],
        "celery": ["celery>=5.3"],
    },
    entry_points={
        "openedx.ace.channel": [
            "django_email = edx_ace.channel.django_email:DjangoEmailChannel",
            "file_email = edx_ace.channel.file:FileEmailChannel",
            "sailthru_email = edx_ace.channel.sailthru:SailthruEmailChannel",
        ],
        # edx-ace ships no policy. Host applications register theirs in this group.
        "openedx.ace.policy": [],
    },
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Framework :: Django :: 6.0",
        "Intended Audience :: Developers",
        "Natural Language :: English",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
)
