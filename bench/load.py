#!/usr/bin/env python3
"""One node under the load of many hearings: starts a release `cloudcourt demo` on a
fresh data directory (SQLite; or PostgreSQL with --postgres, on a fresh database made
for the run and dropped after it), runs `cloudcourt-bot load` against it (N hearings ×
P participants joining through the API, every live socket held, the clerks saving
transcripts, the parties reading them and uploading evidence — see crates/bot/README.md),
samples the server's CPU time and resident memory every 0.5 s, and prints the
generator's table and the server's figures with the command lines that made them.
Exits with the generator's status (1 if any error happened). Standard library only.

    cargo build --release -p cloudcourt --bin cloudcourt -p cloudcourt-bot
    python3 bench/load.py --target-dir "${CARGO_TARGET_DIR:-/var/tmp/cloudcourt-target}"
    python3 bench/load.py --postgres postgres://postgres@127.0.0.1:5432/postgres

For a load from one machine the server's join-code throttle per address is raised
(CLOUDCOURT_JOIN_MAX_REQUESTS); nothing else is changed from the demo's defaults.
"""

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_cpu_seconds():
    """CPU time of every process called postgres (all databases: PostgreSQL is shared)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.find("(") + 1:text.rfind(")")]
        if name.startswith("postgres"):
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def threads(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """(time, CPU seconds, RSS KiB, threads) of a process every `every` seconds; with
    `postgres`, (time, CPU seconds of PostgreSQL's processes, 0, 0)."""

    def __init__(self, pid, every=0.5, postgres=False):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self.running = pid, every, [], True
        self.postgres = postgres

    def run(self):
        while self.running:
            try:
                if self.postgres:
                    self.samples.append((time.time(), postgres_cpu_seconds(), 0, 0))
                else:
                    self.samples.append((time.time(), cpu_seconds(self.pid), rss_kib(self.pid), threads(self.pid)))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                return
            time.sleep(self.every)

    def between(self, start, end):
        """Samples from the last one at or before `start` to the first at or after `end`."""
        before = [s for s in self.samples if s[0] <= start]
        after = [s for s in self.samples if s[0] >= end]
        inside = [s for s in self.samples if start < s[0] < end]
        return ([before[-1]] if before else []) + inside + ([after[0]] if after else [])


def cpu_percent(samples):
    if len(samples) < 2:
        return None
    (t0, c0, *_), (t1, c1, *_) = samples[0], samples[-1]
    return 100.0 * (c1 - c0) / (t1 - t0) if t1 > t0 else None


def has_taskset():
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def pinned(cpu, command):
    return ["taskset", "-c", str(cpu), *command] if has_taskset() else command


def fresh_database(url):
    """Creates cloudcourt_load_<hex> on the server of `url` (with psql); its URL and name."""
    name = "cloudcourt_load_" + secrets.token_hex(4)
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"], check=True)
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name)), name


def drop_database(url, name):
    subprocess.run(["psql", url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def wait_ready(base, process, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with status {process.returncode} before it was ready")
        try:
            urllib.request.urlopen(base + "/api/v1/me", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # 401: it answers.
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the server at {base} did not answer within {seconds} s")


def loadavg():
    """The machine's 1-minute load average (other work on the machine shows here)."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/cloudcourt-target")
    parser.add_argument("--target-dir", default=target, help="where release/cloudcourt and release/cloudcourt-bot are")
    parser.add_argument("--hearings", type=int, default=50)
    parser.add_argument("--participants", type=int, default=5)
    parser.add_argument("--duration", type=float, default=60, help="the measured window, seconds")
    parser.add_argument("--save-every", type=float, default=5, help="seconds between a clerk's transcript saves")
    parser.add_argument("--poll-every", type=float, default=10, help="seconds between a participant's GETs")
    parser.add_argument("--uploaders", type=int, default=1, help="participants per hearing who upload evidence")
    parser.add_argument("--postgres", metavar="URL",
                        help="run on PostgreSQL: a fresh database is created on this server for the run and dropped after")
    parser.add_argument("--server-cpu", type=int, default=1, help="the CPU the server is pinned to (taskset)")
    parser.add_argument("--bot-cpu", type=int, default=0, help="the CPU the load generator is pinned to")
    parser.add_argument("--json", metavar="PATH", help="write the generator's JSON and the server's figures here")
    parser.add_argument("--keep", action="store_true", help="keep the data directory, the logs (and the database)")
    parser.add_argument("bot_args", nargs="*", help="more `cloudcourt-bot load` options, after --")
    args = parser.parse_args()

    server_bin = os.path.join(args.target_dir, "release", "cloudcourt")
    bot_bin = os.path.join(args.target_dir, "release", "cloudcourt-bot")
    for binary in (server_bin, bot_bin):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary} is missing: cargo build --release -p cloudcourt --bin cloudcourt -p cloudcourt-bot")

    work = tempfile.mkdtemp(prefix="cloudcourt-load-")
    data_dir = os.path.join(work, "data")
    password = "load-" + secrets.token_urlsafe(12)
    database = None
    server_command = [server_bin, "demo", "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--demo-password", "PW"]
    if args.postgres:
        database_url, database = fresh_database(args.postgres)
        server_command += ["--database-url", database_url]
    # One machine sends every participant's join-code request: raise the per-address
    # throttle (join_max_requests) far above the run's 2 × N × P requests.
    env = dict(os.environ, CLOUDCOURT_JOIN_MAX_REQUESTS="1000000")
    env.pop("CLOUDCOURT_DATABASE_URL", None)
    server_log = open(os.path.join(work, "server.log"), "w")
    real_command = [password if part == "PW" else part for part in server_command]
    server = subprocess.Popen(pinned(args.server_cpu, real_command), stdout=subprocess.PIPE,
                              stderr=server_log, text=True, env=env)
    exit_code = 1
    try:
        base = None
        for line in server.stdout:
            found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if found:
                base = f"http://127.0.0.1:{found.group(1)}"
                break
        if base is None:
            sys.exit("the server printed no address; see " + server_log.name)
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        wait_ready(base, server)
        idle_rss = rss_kib(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()

        summary_path = os.path.join(work, "summary.json")
        bot_command = [bot_bin, "load", "--server", base, "--staff-user", "clerk",
                       "--hearings", str(args.hearings), "--participants", str(args.participants),
                       "--duration", f"{args.duration}s", "--save-every", f"{args.save_every}s",
                       "--poll-every", f"{args.poll_every}s", "--uploaders", str(args.uploaders),
                       "--json-out", summary_path, *args.bot_args]
        bot_env = dict(os.environ, CLOUDCOURT_BOT_STAFF_PASSWORD=password)
        bot_log = open(os.path.join(work, "bot.log"), "w")
        load_before = loadavg()
        started = time.time()
        bot = subprocess.Popen(pinned(args.bot_cpu, bot_command), stdout=subprocess.PIPE,
                               stderr=bot_log, text=True, env=bot_env)
        bot_sampler = Sampler(bot.pid)
        bot_sampler.start()
        pg_sampler = Sampler(None, postgres=True) if args.postgres else None
        if pg_sampler:
            pg_sampler.start()
        output = bot.stdout.read()
        exit_code = bot.wait()
        ended = time.time()
        load_after = loadavg()
        sampler.running = False
        bot_sampler.running = False
        if pg_sampler:
            pg_sampler.running = False
        table = output.split("\n\nJSON summary:", 1)[0]
        print(table)
        try:
            with open(summary_path) as f:
                summary = json.load(f)
        except (OSError, ValueError):
            with open(bot_log.name) as f:
                tail = f.read()[-3000:]
            sys.exit(f"the generator wrote no summary (status {exit_code}); its log ends:\n{tail}")

        window_start = summary["window"]["start_unix"]
        window_end = window_start + summary["window"]["seconds"]
        in_window = sampler.between(window_start, window_end)
        in_setup = sampler.between(started, window_start)
        bot_window = bot_sampler.between(window_start, window_end)
        rss_window = [s[2] for s in in_window]
        rss_all = [s[2] for s in sampler.samples]
        server_figures = {
            "backend": "postgresql" if args.postgres else "sqlite",
            "pinned": has_taskset(),
            "server_cpu_percent_window": cpu_percent(in_window),
            "server_cpu_percent_setup": cpu_percent(in_setup),
            "generator_cpu_percent_window": cpu_percent(bot_window),
            "postgres_cpu_percent_window": cpu_percent(pg_sampler.between(window_start, window_end)) if pg_sampler else None,
            "server_rss_kib_idle": idle_rss,
            "server_rss_kib_window_start": rss_window[0] if rss_window else None,
            "server_rss_kib_window_peak": max(rss_window) if rss_window else None,
            "server_rss_kib_peak": max(rss_all) if rss_all else None,
            "server_threads_window_peak": max((s[3] for s in in_window), default=None),
            "run_seconds": ended - started,
            "machine_load_average_before": load_before,
            "machine_load_average_after": load_after,
        }
        shown_command = " ".join(shlex.quote(part) for part in pinned(args.server_cpu, server_command))
        shown_bot = " ".join(shlex.quote(part) for part in pinned(args.bot_cpu, bot_command))
        this = " ".join(shlex.quote(part) for part in ["python3", *sys.argv])

        def pct(value):
            return "-" if value is None else f"{value:.0f} % of one core"

        print()
        print(f"server ({server_figures['backend']}): CPU {pct(server_figures['server_cpu_percent_window'])} in the window, "
              f"{pct(server_figures['server_cpu_percent_setup'])} during the setup; "
              f"RSS idle {mib(idle_rss)}, at the window's start {mib(rss_window[0]) if rss_window else '-'}, "
              f"peak {mib(server_figures['server_rss_kib_peak'] or 0)}; "
              f"threads {server_figures['server_threads_window_peak']}")
        print(f"generator: CPU {pct(server_figures['generator_cpu_percent_window'])} in the window; "
              f"errors {summary['errors']['total']}; exit status {exit_code}")
        if pg_sampler:
            print(f"postgresql (every postgres process, unpinned): CPU "
                  f"{pct(server_figures['postgres_cpu_percent_window'])} in the window")
        print(f"machine: 1-minute load average {load_before:.2f} before, {load_after:.2f} after "
              f"({os.cpu_count()} CPUs; above 2 means other work shared the CPUs)")
        print()
        print("command:   " + this)
        print("server:    CLOUDCOURT_JOIN_MAX_REQUESTS=1000000 " + shown_command)
        print("generator: CLOUDCOURT_BOT_STAFF_PASSWORD=PW " + shown_bot)
        print(f"(work directory {work}{' kept' if args.keep else ', removed'})")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"generator": summary, "server": server_figures,
                           "commands": {"wrapper": this, "server": shown_command, "generator": shown_bot}},
                          f, indent=2, ensure_ascii=False)
                f.write("\n")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
        if database and not args.keep:
            drop_database(args.postgres, database)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
