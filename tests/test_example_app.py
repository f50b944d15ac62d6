"""The example app, the demo and the README's example send real messages."""

from __future__ import annotations

import pathlib

from edx_ace.channel import ChannelType
from edx_ace.result import DeliveryStatus
from example import demo

README = pathlib.Path(__file__).resolve().parent.parent / "README.rst"


def readme_example() -> str:
    """Return the code block of the README's "Send a message" section."""
    section = README.read_text(encoding="utf-8").split("Send a message\n--------------\n", 1)[1]
    block = section.split("::\n\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if line and not line.startswith("    "):
            break
        lines.append(line[4:])
    return "\n".join(lines)


def test_readme_example_delivers(email_dir):
    namespace: dict = {"__name__": "readme_example"}

    exec(compile(readme_example(), str(README), "exec"), namespace)

    result = namespace["result"]
    assert result.delivered
    page = pathlib.Path(result.outcome_for(ChannelType.EMAIL).receipt).read_text(encoding="utf-8")
    assert "Welcome, Ada" in page
    assert "welcome to Example University" in page


def test_demo_message_in_spanish(email_dir):
    from edx_ace import ace

    result = ace.send(demo.build_message("es"))

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.DELIVERED
    page = pathlib.Path(outcome.receipt).read_text(encoding="utf-8")
    assert "Hola, Ada:" in page
    assert "Estás inscrito en 2 cursos:" in page
    assert "febrero" in page


def test_demo_prints_file_path(email_dir, capsys):
    assert demo.main(["en"]) == 0

    output = capsys.readouterr().out
    assert "file_email: delivered -> " in output
    written = output.split("delivered -> ", 1)[1].split()[0]
    assert pathlib.Path(written).is_file()
    assert pathlib.Path(written).parent == email_dir


def test_demo_rejects_unknown_language(capsys):
    assert demo.main(["--help"]) == 2

    assert "usage: python -m example.demo [LANGUAGE]" in capsys.readouterr().err
