"""
Benchmark edx-ace against upstream edx-ace 1.15.0 and against two lower bounds.

Run it with ``make bench`` (or ``.venv/bin/python bench/run.py --help``). It installs
upstream edx-ace 1.15.0 from the package registry into ``bench/.upstream-venv`` on first
use, starts an SMTP server on 127.0.0.1, and starts one worker process per path
(``worker.py``). Rounds are interleaved: each round runs every path once on the same
messages, in a rotated order, so a slow moment of the machine hits all paths alike.
Then it times the first send of fresh processes and the peak RSS of long batches.

It prints the median messages per second of each path, the spread (lowest and highest
round) and the ratios the project tracks. It exits non-zero only when the benchmark
itself fails (a worker crashes, or fewer emails arrive than were sent); it never judges
a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
UPSTREAM_VENV = BENCH_DIR / ".upstream-venv"
UPSTREAM_REQUIREMENT = "edx-ace==1.15.0"
RESULTS_DIR = BENCH_DIR / "results"


class BenchmarkError(Exception):
    """The benchmark could not measure what it set out to measure."""


# --- the SMTP server --------------------------------------------------------------------


class CountingHandler:
    """An aiosmtpd handler that counts sessions and accepted emails and keeps nothing else."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = 0
        self.emails = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.emails += 1
        return "250 Message accepted"


def start_smtp_server():
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="ace-bench")
    controller.start()
    return controller, handler, port


# --- the upstream virtualenv ------------------------------------------------------------


def upstream_python() -> Path:
    """Return the Python of ``bench/.upstream-venv``, creating it and installing upstream when needed."""
    python = UPSTREAM_VENV / "bin" / "python"
    django_version = metadata.version("django")
    stamp = UPSTREAM_VENV / f".installed-{UPSTREAM_REQUIREMENT}-django-{django_version}"
    if stamp.exists():
        return python

    print(f"Installing {UPSTREAM_REQUIREMENT} with Django {django_version} into {UPSTREAM_VENV} ...", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(UPSTREAM_VENV)], check=True)
    # The same Django as this project's, so only edx-ace differs between the two.
    command = [str(python), "-m", "pip", "install", "--quiet", UPSTREAM_REQUIREMENT, f"django=={django_version}"]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        errors = [line for line in completed.stderr.splitlines() if not line.startswith("WARNING: Location")]
        raise BenchmarkError(f"pip could not install {UPSTREAM_REQUIREMENT}: {' '.join(errors[-3:])}")
    stamp.touch()
    return python


# --- workers ----------------------------------------------------------------------------


@dataclass
class Path_:
    """One measured path: which edx-ace, which worker path, which settings."""

    name: str
    implementation: str  # "ours", "upstream" or "django" (no ACE)
    worker_path: str
    environment: dict
    rates: list[float] = field(default_factory=list)
    cpu_rates: list[float] = field(default_factory=list)
    process: subprocess.Popen | None = None


def worker_command(python: Path, *arguments: str) -> list[str]:
    return [str(python), str(BENCH_DIR / "worker.py"), *arguments]


def worker_environment(extra: dict) -> dict:
    environment = dict(os.environ)
    environment.pop("PYTHONPATH", None)
    environment["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    environment.update(extra)
    return environment


def start_worker(path: Path_, python: Path) -> None:
    path.process = subprocess.Popen(
        worker_command(python, "serve", path.worker_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=worker_environment(path.environment),
        cwd=BENCH_DIR,
    )
    read_reply(path)


def read_reply(path: Path_) -> dict:
    line = path.process.stdout.readline()
    if not line:
        code = path.process.wait()
        raise BenchmarkError(
            f"the worker of {path.name} exited with status {code}; run it alone to see why: "
            f"cd bench && {' '.join(path.process.args[1:])}"
        )
    return json.loads(line)


def run_batch(path: Path_, start: int, count: int, server: CountingHandler) -> None:
    """Run one batch on ``path``'s worker, check every email arrived, and record its rates."""
    emails_before = server.emails
    path.process.stdin.write(f"run {start} {count}\n")
    path.process.stdin.flush()
    reply = read_reply(path)

    arrived = reply["outbox"] if reply["outbox"] is not None else server.emails - emails_before
    if path.worker_path != "render-only" and arrived != count:
        raise BenchmarkError(f"{path.name}: {arrived} of {count} emails arrived")
    path.rates.append(count / reply["seconds"])
    path.cpu_rates.append(count / reply["cpu_seconds"])


def stop_worker(path: Path_) -> None:
    if path.process is not None and path.process.poll() is None:
        path.process.stdin.write("quit\n")
        path.process.stdin.flush()
        path.process.wait(timeout=60)


def one_shot(python: Path, arguments: list[str], environment: dict) -> dict:
    """Run a worker command in a fresh process and return its JSON line."""
    began = time.perf_counter()
    completed = subprocess.run(
        worker_command(python, *arguments),
        capture_output=True,
        text=True,
        env=worker_environment(environment),
        cwd=BENCH_DIR,
    )
    wall = time.perf_counter() - began
    if completed.returncode != 0:
        raise BenchmarkError(f"worker {' '.join(arguments)} failed: {completed.stderr.strip()[-2000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    return result


# --- the measurements -------------------------------------------------------------------


#: The ACE_SEND_MANY_RENDER_PROCESSES values measured besides 0.
RENDER_PROCESS_COUNTS = (1, 2)


def send_many_name(processes: int) -> str:
    unit = "process" if processes == 1 else "processes"
    return f"ours: ace.send_many, SMTP, {processes} render {unit}"


def rate_paths(smtp_port: int, with_upstream: bool) -> list[Path_]:
    locmem = {"BENCH_EMAIL": "locmem"}
    explicit = {"BENCH_EMAIL": "locmem", "BENCH_LOADERS": "explicit"}
    smtp = {"BENCH_EMAIL": "smtp", "BENCH_SMTP_PORT": str(smtp_port)}
    paths = [
        Path_("render only (Django alone)", "django", "render-only", locmem),
        Path_("ours: ace.send loop, locmem", "ours", "ace-send", locmem),
        Path_("ours: ace.send loop, locmem, explicit loaders", "ours", "ace-send", explicit),
        Path_("transport only (prebuilt emails, one SMTP connection)", "django", "transport-only", smtp),
        Path_("ours: ace.send loop, SMTP", "ours", "ace-send", smtp),
        Path_("ours: ace.send_many, SMTP", "ours", "send-many", smtp),
    ]
    for processes in RENDER_PROCESS_COUNTS:
        environment = {**smtp, "BENCH_RENDER_PROCESSES": str(processes)}
        paths.append(Path_(send_many_name(processes), "ours", "send-many", environment))
    if with_upstream:
        paths += [
            Path_("upstream: ace.send loop, locmem", "upstream", "ace-send", locmem),
            Path_("upstream: ace.send loop, locmem, explicit loaders", "upstream", "ace-send", explicit),
            Path_("upstream: ace.send loop, SMTP", "upstream", "ace-send", smtp),
        ]
    return paths


def measure_rates(paths, pythons, server, count, rounds, warmup) -> None:
    for path in paths:
        start_worker(path, pythons[path.implementation])
    try:
        for path in paths:
            run_batch(path, 0, warmup, server)
            path.rates.clear()
            path.cpu_rates.clear()
        for round_number in range(rounds):
            # Each round sends the next messages, so the rounds go through all the recipients.
            start = warmup + round_number * count
            shift = round_number % len(paths)
            for path in paths[shift:] + paths[:shift]:
                run_batch(path, start, count, server)
            print(f"round {round_number + 1}/{rounds} done", flush=True)
    finally:
        for path in paths:
            stop_worker(path)


def measure_first_send(pythons, repeats) -> dict:
    timings: dict[str, list[dict]] = {name: [] for name in pythons if name != "django"}
    for _ in range(repeats):
        for name in timings:
            timings[name].append(one_shot(pythons[name], ["first-send"], {"BENCH_EMAIL": "locmem"}))
    return timings


def measure_rss(python, counts, smtp_port) -> dict:
    results = {}
    for channel in ("file", "smtp"):
        for count in counts:
            folder = tempfile.mkdtemp(prefix="edx-ace-bench-files-")
            environment = {"BENCH_EMAIL": channel, "BENCH_SMTP_PORT": str(smtp_port), "BENCH_FILE_DIRECTORY": folder}
            try:
                result = one_shot(python, ["rss", str(count)], environment)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            if result["delivered"] != count:
                raise BenchmarkError(f"peak RSS, {channel}: {result['delivered']} of {count} messages delivered")
            results[(channel, count)] = result
            print(f"peak RSS, {channel} channel, {count} messages: {result['maxrss_kb'] / 1024:.1f} MB", flush=True)
    return results


# --- the report -------------------------------------------------------------------------


def median(values):
    return statistics.median(values) if values else float("nan")


def report(paths, first_send, rss, rss_counts, arguments) -> str:
    lines = []
    width = max((len(path.name) for path in paths), default=4)
    if paths:
        lines.append(f"{'path':<{width}}  {'median msg/s':>12}  {'lowest':>8}  {'highest':>8}")
    for path in paths:
        lines.append(
            f"{path.name:<{width}}  {median(path.rates):12.1f}  {min(path.rates):8.1f}  {max(path.rates):8.1f}"
        )
    if paths:
        # Other processes on the machine slow the wall clock of every path. The CPU time
        # of the sending process (with its render processes) is steadier, but leaves out
        # the SMTP server and waiting.
        lines.append("")
        lines.append(
            f"{'per CPU-second of the sender and its render processes':<{width}}  {'median msg/s':>12}  {'lowest':>8}  {'highest':>8}"
        )
        for path in paths:
            rates = path.cpu_rates
            lines.append(f"{path.name:<{width}}  {median(rates):12.1f}  {min(rates):8.1f}  {max(rates):8.1f}")

    by_name = {path.name: median(path.rates) for path in paths}
    cpu_by_name = {path.name: median(path.cpu_rates) for path in paths}

    def ratio(label, numerator, denominator):
        if numerator in by_name and denominator in by_name:
            wall = by_name[numerator] / by_name[denominator]
            cpu = cpu_by_name[numerator] / cpu_by_name[denominator]
            lines.append(f"  {label:<62} {wall:6.2f}  {cpu:6.2f}")

    if paths:
        lines.append("")
        lines.append(f"{'Ratios of medians:':<64} {'wall':>6}  {'CPU':>6}")
    render = "render only (Django alone)"
    ratio("ours locmem / render only", "ours: ace.send loop, locmem", render)
    ratio("ours locmem, explicit loaders / render only", "ours: ace.send loop, locmem, explicit loaders", render)
    ratio("upstream locmem / render only", "upstream: ace.send loop, locmem", render)
    ratio(
        "upstream locmem, explicit loaders / render only",
        "upstream: ace.send loop, locmem, explicit loaders",
        render,
    )
    ratio("ours locmem / upstream locmem", "ours: ace.send loop, locmem", "upstream: ace.send loop, locmem")
    ratio("ours send_many SMTP / upstream send loop SMTP", "ours: ace.send_many, SMTP", "upstream: ace.send loop, SMTP")
    for processes in RENDER_PROCESS_COUNTS:
        ratio(
            f"ours send_many SMTP, {processes} render proc. / upstream send loop SMTP",
            send_many_name(processes),
            "upstream: ace.send loop, SMTP",
        )
    ratio("ours send loop SMTP / upstream send loop SMTP", "ours: ace.send loop, SMTP", "upstream: ace.send loop, SMTP")
    ratio(
        "ours send_many SMTP / transport only",
        "ours: ace.send_many, SMTP",
        "transport only (prebuilt emails, one SMTP connection)",
    )

    if first_send:
        lines.append("")
        lines.append("First send in a fresh process (median seconds):")
        for name, runs in first_send.items():
            lines.append(
                f"  {name:<9} django.setup() {median([run['setup_seconds'] for run in runs]):.3f}  "
                f"first ace.send() {median([run['first_send_seconds'] for run in runs]):.3f}  "
                f"whole process {median([run['wall_seconds'] for run in runs]):.3f}  "
                f"channel modules imported: {len(runs[0]['channel_modules'])}"
            )

    if rss:
        lines.append("")
        small, large = rss_counts
        lines.append(f"Peak RSS of ours, ace.send_many of {small} and {large} messages (MB):")
        for channel in ("file", "smtp"):
            low = rss[(channel, small)]["maxrss_kb"] / 1024
            high = rss[(channel, large)]["maxrss_kb"] / 1024
            lines.append(f"  {channel:<5} {low:8.1f} {high:8.1f}   difference {high - low:+.1f}")

    lines.append("")
    lines.append(
        f"{arguments.messages} messages per batch, {arguments.rounds} interleaved rounds after a warm-up of "
        f"{arguments.warmup}; Python {sys.version.split()[0]}, Django {metadata.version('django')}, "
        f"{os.cpu_count()} CPUs"
    )
    return "\n".join(lines)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts, to check that the benchmark still runs")
    parser.add_argument("--messages", type=int, default=2000, help="messages per batch and round (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--warmup", type=int, default=200, help="messages each worker sends first, untimed")
    parser.add_argument("--first-send-repeats", type=int, default=5, help="fresh processes per edx-ace (default 5)")
    parser.add_argument(
        "--rss-counts", type=int, nargs=2, default=[10_000, 100_000], help="two batch sizes for peak RSS"
    )
    parser.add_argument("--no-upstream", action="store_true", help="leave out upstream edx-ace")
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="measure only the rate paths whose name contains TEXT (repeatable), such as --only locmem",
    )
    parser.add_argument(
        "--parts",
        default="rates,first-send,rss",
        help="comma-separated parts to run: rates, first-send, rss (default all three)",
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.messages, arguments.rounds, arguments.warmup = 20, 1, 5
        arguments.first_send_repeats, arguments.rss_counts = 1, [20, 60]
    arguments.parts = set(arguments.parts.split(","))
    unknown = arguments.parts - {"rates", "first-send", "rss"}
    if unknown:
        parser.error(f"unknown parts {', '.join(sorted(unknown))}; choose from rates, first-send, rss")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    pythons = {"ours": Path(sys.executable), "django": Path(sys.executable)}
    with_upstream = not arguments.no_upstream
    if with_upstream:
        try:
            pythons["upstream"] = upstream_python()
        except (BenchmarkError, OSError, subprocess.SubprocessError) as error:
            if not arguments.quick:
                raise
            print(f"Upstream edx-ace left out: {error}", flush=True)
            with_upstream = False

    controller, server, port = start_smtp_server()
    try:
        paths = rate_paths(port, with_upstream) if "rates" in arguments.parts else []
        if arguments.only:
            paths = [path for path in paths if any(text in path.name for text in arguments.only)]
        if paths:
            measure_rates(paths, pythons, server, arguments.messages, arguments.rounds, arguments.warmup)
        first_send = {}
        if "first-send" in arguments.parts:
            first_send = measure_first_send(pythons, arguments.first_send_repeats)
        rss = measure_rss(pythons["ours"], arguments.rss_counts, port) if "rss" in arguments.parts else {}
    finally:
        controller.stop()

    text = report(paths, first_send, rss, arguments.rss_counts, arguments)
    print()
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    parts = "-".join(sorted(arguments.parts))
    (RESULTS_DIR / f"bench-{stamp}-{parts}.txt").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as error:
        print(f"Benchmark failed: {error}", file=sys.stderr)
        sys.exit(1)
