#!/usr/bin/env python3
"""cloudcourt's SFU against Janus 1.1.2's VideoRoom, with the same bots.

For each load (hearings x publishers x subscribers), runs rounds that alternate the two
servers (cloudcourt, Janus, cloudcourt, Janus, ...). Each round runs in its own network
namespace (`unshare -n`) with a veth pair whose two ends are 10.77.0.1 (the server) and
10.77.0.2 (the bots): Janus's ICE ignores loopback interfaces, and nothing can leave the
namespace. In a round the server is pinned to one CPU and the bots to the other
(`taskset`); one `cloudcourt-bot` process per hearing (publishers and subscribers of a
hearing in one process, so that latency is measured between them) starts its media,
and after --warmup seconds a fixed --window of --window seconds is measured:

  - server CPU: utime+stime of the server process (/proc/PID/stat) at the window's start
    and end;
  - forwarded packets: RTP packets of the frames every bot received within the window
    (the bots count the window themselves: --window-start/--window);
  - loss: sequence-number gaps seen by the receivers within the window;
  - added forwarding latency p50/p99 (publisher's send -> subscriber's complete frame,
    same clock), audio and video, merged over all bots from their histograms;
  - server memory: VmRSS and VmHWM at the window's end.

Each run prints one line; at the end the medians per load are printed side by side.
Needs root (unshare, ip), Janus 1.1.2 (installed with apt-get if missing), and a
release build of both binaries. Standard library only.

    cargo build --release -p cloudcourt --bin cloudcourt -p cloudcourt-bot
    python3 bench/sfu.py --target-dir "$CARGO_TARGET_DIR" --loads 4x4x4,2x4x12 --rounds 2
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

SERVER_IP = "10.77.0.1"
BOT_IP = "10.77.0.2"
VETH = ("ccbench0", "ccbench1")
CLOUDCOURT_PORT = 8080
MEDIA_PORT = 40000
JANUS_PORT = 8088
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- the outer loop


def parse_load(text):
    try:
        hearings, publishers, subscribers = (int(n) for n in text.lower().split("x"))
    except ValueError:
        sys.exit(f"a load is HEARINGSxPUBLISHERSxSUBSCRIBERS, e.g. 4x4x4, not {text!r}")
    return hearings, publishers, subscribers


def ensure_janus():
    """Janus from Debian, installed if missing; its version must be 1.1.2."""
    if not shutil.which("janus"):
        print("installing janus (apt-get install -y --no-install-recommends janus)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "janus"],
            check=True, env=env, stdout=subprocess.DEVNULL,
        )
    version = subprocess.run(["janus", "--version"], capture_output=True, text=True).stdout
    found = re.search(r"Janus version: \d+ \(([\d.]+)\)", version)
    if not found or found.group(1) != "1.1.2":
        sys.exit(f"Janus 1.1.2 is needed; `janus --version` says: {version.strip()!r}")
    return found.group(1)


def run_round(args, server, load, number):
    """One round in a fresh network namespace; its figures (a dict)."""
    hearings, publishers, subscribers = load
    command = [
        "unshare", "-n", "--", sys.executable, os.path.abspath(__file__), "--inner", server,
        "--load", f"{hearings}x{publishers}x{subscribers}",
        "--cloudcourt", args.cloudcourt, "--bot", args.bot,
        "--warmup", str(args.warmup), "--window", str(args.window),
        "--server-cpu", str(args.server_cpu), "--bot-cpu", str(args.bot_cpu),
    ]
    if args.keep_logs:
        command.append("--keep-logs")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        sys.exit(f"round {number} ({server}) failed with status {done.returncode}:\n{done.stdout}")
    result = json.loads(lines[-1])
    result["round"] = number
    return result


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def run_line(r):
    return (
        f"{r['server']:<10} round {r['round']}: "
        f"{r['forwarded_packets']:>7} packets forwarded in {r['window_s']:.0f} s "
        f"({r['forwarded_pps']:.0f}/s), server CPU {r['server_cpu_s']:.2f} s "
        f"({r['server_cpu_percent']:.0f}% of a core) -> {fmt(r['packets_per_cpu_s'], '.0f')} packets/CPU-s; "
        f"loss {r['loss_percent']:.3f}%; latency audio p50/p99 {fmt(r['audio_p50_ms'], '.2f')}/{fmt(r['audio_p99_ms'], '.2f')} ms, "
        f"video {fmt(r['video_p50_ms'], '.2f')}/{fmt(r['video_p99_ms'], '.2f')} ms; "
        f"RSS {r['rss_mib']:.1f} MiB (HWM {r['hwm_mib']:.1f}); bots' CPU {r['bots_cpu_percent']:.0f}%"
        + ("" if r["all_connected"] else " [not every session connected before the window]")
        + ("" if not r["failed_bots"] else f" [{r['failed_bots']} bots failed]")
    )


ROWS = [
    ("forwarded packets / s", "forwarded_pps", ".0f"),
    ("server CPU (% of a core)", "server_cpu_percent", ".1f"),
    ("packets / server CPU-second", "packets_per_cpu_s", ".0f"),
    ("loss (%)", "loss_percent", ".3f"),
    ("audio latency p50 (ms)", "audio_p50_ms", ".2f"),
    ("audio latency p99 (ms)", "audio_p99_ms", ".2f"),
    ("video latency p50 (ms)", "video_p50_ms", ".2f"),
    ("video latency p99 (ms)", "video_p99_ms", ".2f"),
    ("server VmRSS (MiB)", "rss_mib", ".1f"),
    ("server VmHWM (MiB)", "hwm_mib", ".1f"),
    ("bots' CPU (% of a core)", "bots_cpu_percent", ".0f"),
]


def median(results, key):
    values = [r[key] for r in results if r.get(key) is not None]
    return statistics.median(values) if values else None


def summary(load, results):
    hearings, publishers, subscribers = load
    lines = [
        f"load {hearings} hearings x {publishers} publishers x {subscribers} subscribers "
        f"(medians of {len(results) // 2} rounds each)",
        f"  {'':<30}{'cloudcourt':>12}{'Janus 1.1.2':>14}{'ratio':>8}",
    ]
    ours = [r for r in results if r["server"] == "cloudcourt"]
    theirs = [r for r in results if r["server"] == "janus"]
    for label, key, spec in ROWS:
        a, b = median(ours, key), median(theirs, key)
        ratio = f"{a / b:.2f}" if a is not None and b else "-"
        lines.append(f"  {label:<30}{fmt(a, spec):>12}{fmt(b, spec):>14}{ratio:>8}")
    return "\n".join(lines)


def outer(args):
    if os.geteuid() != 0:
        sys.exit("run as root: each round needs its own network namespace (unshare -n) and a veth pair")
    for binary in (args.cloudcourt, args.bot):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary} is missing: cargo build --release -p cloudcourt --bin cloudcourt -p cloudcourt-bot")
    janus_version = ensure_janus()
    loads = [parse_load(text) for text in args.loads.split(",")]
    started = time.monotonic()
    everything = []
    summaries = []
    for load in loads:
        results = []
        for number in range(1, args.rounds + 1):
            for server in ("cloudcourt", "janus"):
                result = run_round(args, server, load, number)
                results.append(result)
                print(f"[{load[0]}x{load[1]}x{load[2]}] {run_line(result)}", flush=True)
        summaries.append(summary(load, results))
        everything.append({"load": list(load), "runs": results})
    print()
    print(f"cloudcourt vs Janus {janus_version} VideoRoom, same bots, {args.warmup} s warm-up, "
          f"{args.window} s window; server on CPU {args.server_cpu}, bots on CPU {args.bot_cpu}")
    for text in summaries:
        print(text)
    print(f"took {time.monotonic() - started:.0f} s: python3 bench/sfu.py {' '.join(sys.argv[1:])}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(everything, out, indent=1)


# ---------------------------------------------------------------- one round, inside the namespace


def sh(*command):
    subprocess.run(command, check=True)


def set_up_network():
    """The veth pair: the server's end (10.77.0.1) in this namespace, the bots' end
    (10.77.0.2) in a namespace of their own, held by a `sleep` whose PID the bots enter
    with nsenter. The two namespaces see nothing but each other (and their loopback)."""
    a, b = VETH
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
    sh("ip", "addr", "add", f"{SERVER_IP}/24", "dev", a)
    sh("ip", "link", "set", a, "up")
    holder = subprocess.Popen(["unshare", "-n", "sleep", "infinity"])
    ours = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 10
    while os.readlink(f"/proc/{holder.pid}/ns/net") == ours:
        if time.monotonic() > deadline:
            raise RuntimeError("the bots' network namespace did not come up")
        time.sleep(0.01)
    sh("ip", "link", "set", b, "netns", str(holder.pid))
    enter = ["nsenter", "-t", str(holder.pid), "-n"]
    sh(*enter, "ip", "link", "set", "lo", "up")
    sh(*enter, "ip", "addr", "add", f"{BOT_IP}/24", "dev", b)
    sh(*enter, "ip", "link", "set", b, "up")
    return holder, enter


def cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def memory_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def wait_http(host, port, path, seconds, process):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on http://{host}:{port}{path}")


def api(conn, method, path, body=None, cookie=None):
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    if response.status >= 400:
        raise RuntimeError(f"{method} {path}: {response.status} {raw[:300]!r}")
    return response, json.loads(raw) if raw else None


def phone(hearing, index):
    """A mainland mobile number per participant: 139 HH NNNNNN."""
    return f"139{hearing:02d}{index:06d}"


class Cloudcourt:
    name = "cloudcourt"

    def __init__(self, args, work):
        self.args, self.work = args, work
        self.password = "bench-" + secrets.token_urlsafe(12)

    def start(self, hearings):
        config = os.path.join(self.work, "cloudcourt.toml")
        with open(config, "w") as out:
            # Many bots join from one address: raise the join-code limit.
            out.write("join_max_requests = 100000\n\n[media]\n")
            out.write(f'bind = "{SERVER_IP}:{MEDIA_PORT}"\nadvertise = "{SERVER_IP}"\n')
        data = os.path.join(self.work, "data")
        self.log = open(os.path.join(self.work, "server.log"), "w")
        self.process = subprocess.Popen(
            ["taskset", "-c", str(self.args.server_cpu), self.args.cloudcourt, "--config", config,
             "demo", "--listen", f"{SERVER_IP}:{CLOUDCOURT_PORT}", "--data-dir", data,
             "--demo-password", self.password],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.work,
        )
        wait_http(SERVER_IP, CLOUDCOURT_PORT, "/healthz", 60, self.process)
        self.meetings = self.schedule(hearings)

    def schedule(self, hearings):
        """One case and hearing per hearing, with its participants, through the staff API."""
        count, publishers, subscribers = hearings
        conn = http.client.HTTPConnection(SERVER_IP, CLOUDCOURT_PORT, timeout=60)
        response, _ = api(conn, "POST", "/api/v1/session", {"username": "clerk", "password": self.password})
        cookie = response.getheader("Set-Cookie").split(";")[0]
        _, staff = api(conn, "GET", "/api/v1/staff", cookie=cookie)
        judge = next(u["id"] for u in staff if u["username"] == "judge")
        clerk = next(u["id"] for u in staff if u["username"] == "clerk")
        at = (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()
        roles = ["plaintiff", "defendant", "agent", "third_party"]
        meetings = []
        for h in range(1, count + 1):
            _, case = api(conn, "POST", "/api/v1/cases",
                          {"case_number": f"（2026）京0107民初{900 + h}号", "cause": "民间借贷纠纷"}, cookie)
            people = [
                {"name": f"当事人{h}-{i}", "role": roles[i % len(roles)], "phone": phone(h, i)}
                for i in range(publishers + subscribers)
            ]
            _, hearing = api(conn, "POST", "/api/v1/hearings", {
                "case_id": case["id"], "scheduled_at": at, "judge_ids": [judge], "clerk_id": clerk,
                "participants": people,
            }, cookie)
            meetings.append(hearing["meeting_number"])
        return meetings

    def bot_args(self, h):
        return ["--server", f"http://{SERVER_IP}:{CLOUDCOURT_PORT}", "--meeting", self.meetings[h - 1],
                "--staff-user", "clerk", "--staff-password", self.password, "--admit", "--open"]

    def bot_ids(self, h, publishers, subscribers):
        ids = [phone(h, i) for i in range(publishers + subscribers)]
        return ids[:publishers], ids[publishers:]


JANUS_CONFIG = """general: {{
	configs_folder = "{dir}"
	plugins_folder = "{dir}/plugins"
	transports_folder = "{dir}/transports"
	events_folder = "{dir}/events"
	loggers_folder = "{dir}/loggers"
	debug_level = {debug}
	admin_secret = "{secret}"
	server_name = "cloudcourt-bench"
	interface = "{ip}"
}}
certificates: {{
}}
media: {{
	rtp_port_range = "20000-40000"
}}
nat: {{
	nice_debug = {nice}
	ice_lite = true
	ice_tcp = false
	full_trickle = false
	ice_enforce_list = "{ip}"
	ice_ignore_list = ""
}}
plugins: {{
}}
transports: {{
}}
loggers: {{
}}
events: {{
	broadcast = false
}}
"""

JANUS_HTTP = """general: {{
	json = "compact"
	base_path = "/janus"
	http = true
	port = {port}
	ip = "{ip}"
	https = false
}}
admin: {{
	admin_base_path = "/admin"
	admin_http = false
	admin_https = false
}}
cors: {{
}}
"""

JANUS_ROOM = """room-{room}: {{
	description = "bench {room}"
	publishers = 64
	bitrate = 0
	fir_freq = 0
	audiocodec = "opus"
	videocodec = "vp8"
	record = false
}}
"""


class Janus:
    name = "janus"

    def __init__(self, args, work):
        self.args, self.work = args, work

    def start(self, hearings):
        """Janus with a private config: the VideoRoom plugin and the HTTP transport only
        (the only libraries in its plugin and transport folders), one room per hearing."""
        count = hearings[0]
        conf = os.path.join(self.work, "janus")
        for folder, library in (("plugins", "plugins/libjanus_videoroom.so"),
                                ("transports", "transports/libjanus_http.so"),
                                ("events", None), ("loggers", None)):
            os.makedirs(os.path.join(conf, folder))
            if library:
                source = os.path.join("/usr/lib/x86_64-linux-gnu/janus", library)
                os.symlink(source, os.path.join(conf, library))
        with open(os.path.join(conf, "janus.jcfg"), "w") as out:
            # SFU_BENCH_JANUS_DEBUG=7 (a debug level) for Janus's and libnice's debugging.
            debug = int(os.environ.get("SFU_BENCH_JANUS_DEBUG", "4"))
            out.write(JANUS_CONFIG.format(dir=conf, ip=SERVER_IP, secret=secrets.token_urlsafe(12),
                                          debug=debug, nice="true" if debug > 4 else "false"))
        with open(os.path.join(conf, "janus.transport.http.jcfg"), "w") as out:
            out.write(JANUS_HTTP.format(port=JANUS_PORT, ip=SERVER_IP))
        with open(os.path.join(conf, "janus.plugin.videoroom.jcfg"), "w") as out:
            out.write("general: {\n}\n")
            for room in range(1, count + 1):
                out.write(JANUS_ROOM.format(room=room))
        self.log = open(os.path.join(self.work, "server.log"), "w")
        self.process = subprocess.Popen(
            ["taskset", "-c", str(self.args.server_cpu), "janus", "-C", os.path.join(conf, "janus.jcfg"),
             "-F", conf, "--disable-colors"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.work,
        )
        wait_http(SERVER_IP, JANUS_PORT, "/janus/info", 60, self.process)

    def bot_args(self, h):
        return ["--janus", f"http://{SERVER_IP}:{JANUS_PORT}/janus", "--room", str(h)]

    def bot_ids(self, h, publishers, subscribers):
        ids = [str(h * 1000 + i + 1) for i in range(publishers + subscribers)]
        return ids[:publishers], ids[publishers:]


def merge_histograms(histograms):
    merged = {}
    for histogram in histograms:
        for bucket, count in histogram:
            merged[bucket] = merged.get(bucket, 0) + count
    return sorted(merged.items())


def percentile_ms(histogram, p):
    """Nearest-rank percentile of a merged histogram (bucket lower bounds in µs)."""
    total = sum(count for _, count in histogram)
    if not total:
        return None
    rank = max(1, -(-total * p // 100))
    seen = 0
    for bucket, count in histogram:
        seen += count
        if seen >= rank:
            return bucket / 1000
    return histogram[-1][0] / 1000


def inner(args):
    hearings, publishers, subscribers = parse_load(args.load)
    holder, enter = set_up_network()
    work = tempfile.mkdtemp(prefix=f"sfu-bench-{args.inner}-")
    server = (Cloudcourt if args.inner == "cloudcourt" else Janus)(args, work)
    bots = []
    try:
        server.start((hearings, publishers, subscribers))
        duration = args.warmup + args.window + 5
        window_start = time.time() + args.warmup
        for h in range(1, hearings + 1):
            pubs, subs = server.bot_ids(h, publishers, subscribers)
            command = [*enter, "taskset", "-c", str(args.bot_cpu), args.bot, *server.bot_args(h),
                       "--bind-ip", BOT_IP, "--duration", f"{duration}s", "--report", "json",
                       "--window-start", f"{window_start:.3f}", "--window", f"{args.window}s"]
            for p in pubs:
                command += ["--phone", p]
            for s in subs:
                command += ["--subscriber", s]
            out = open(os.path.join(work, f"bots-{h}.json"), "w")
            err = open(os.path.join(work, f"bots-{h}.log"), "w")
            bots.append((subprocess.Popen(command, stdout=out, stderr=err), out, err, h))
        time.sleep(max(0.0, window_start - time.time()))
        pid = server.process.pid
        cpu0 = cpu_ticks(pid)
        bots0 = sum(cpu_ticks(b[0].pid) for b in bots)
        time.sleep(max(0.0, window_start + args.window - time.time()))
        cpu1 = cpu_ticks(pid)
        bots1 = sum(cpu_ticks(b[0].pid) for b in bots)
        rss, hwm = memory_kib(pid, "VmRSS"), memory_kib(pid, "VmHWM")
        reports = []
        for process, out, err, h in bots:
            try:
                process.wait(timeout=duration + 60)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            out.close()
            err.close()
            with open(os.path.join(work, f"bots-{h}.json")) as report:
                text = report.read()
            try:
                reports.append(json.loads(text))
            except json.JSONDecodeError:
                with open(os.path.join(work, f"bots-{h}.log")) as log:
                    tail = log.read()[-3000:]
                raise RuntimeError(f"hearing {h}: the bots printed no report; their log ends:\n{tail}")
    finally:
        for process, *_ in bots:
            if process.poll() is None:
                process.kill()
        if hasattr(server, "process"):
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
        holder.kill()
        holder.wait()
        if not args.keep_logs:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", file=sys.stderr)

    windows = [r["window"] for r in reports]
    received = lambda kind, field: sum(w["received"][kind][field] for w in windows)  # noqa: E731
    forwarded = received("audio", "packets") + received("video", "packets")
    lost = received("audio", "packets_lost") + received("video", "packets_lost")
    cpu_s = (cpu1 - cpu0) / CLK_TCK
    histograms = {
        kind: merge_histograms(w["latency_histogram_us"][kind] for w in windows) for kind in ("audio", "video")
    }
    # One media session per bot in cloudcourt; in Janus a publishing bot has two (it
    # publishes on one PeerConnection and receives on another).
    sessions = hearings * (publishers + subscribers)
    if args.inner == "janus":
        sessions += hearings * publishers
    connected = sum(w["sessions_connected_before"] for w in windows)
    result = {
        "server": args.inner,
        "load": [hearings, publishers, subscribers],
        "window_s": args.window,
        "forwarded_packets": forwarded,
        "forwarded_pps": forwarded / args.window,
        "forwarded_frames": received("audio", "frames") + received("video", "frames"),
        "sent_frames": sum(w["sent"][k]["frames"] for w in windows for k in ("audio", "video")),
        "lost_packets": lost,
        "loss_percent": 100 * lost / (forwarded + lost) if forwarded + lost else 0.0,
        "server_cpu_s": cpu_s,
        "server_cpu_percent": 100 * cpu_s / args.window,
        "packets_per_cpu_s": forwarded / cpu_s if cpu_s else None,
        "audio_p50_ms": percentile_ms(histograms["audio"], 50),
        "audio_p99_ms": percentile_ms(histograms["audio"], 99),
        "video_p50_ms": percentile_ms(histograms["video"], 50),
        "video_p99_ms": percentile_ms(histograms["video"], 99),
        "rss_mib": rss / 1024,
        "hwm_mib": hwm / 1024,
        "bots_cpu_percent": 100 * (bots1 - bots0) / CLK_TCK / args.window,
        "sessions": sessions,
        "sessions_connected_before_window": connected,
        "all_connected": connected >= sessions,
        "failed_bots": sum(r["total"]["failed"] for r in reports),
        "errors": [b["error"] for r in reports for b in r["bots"] if b.get("error")][:5],
    }
    print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/cloudcourt-target")
    parser.add_argument("--target-dir", default=target, help="the cargo target dir of the release build")
    parser.add_argument("--cloudcourt", help="the cloudcourt binary (default: TARGET/release/cloudcourt)")
    parser.add_argument("--bot", help="the bot binary (default: TARGET/release/cloudcourt-bot)")
    parser.add_argument("--loads", default="4x4x4,2x4x12",
                        help="HEARINGSxPUBLISHERSxSUBSCRIBERS, comma-separated (default 4x4x4,2x4x12)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per server and load (default 2)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds from the bots' start to the window")
    parser.add_argument("--window", type=int, default=30, help="the measuring window, in seconds")
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--bot-cpu", type=int, default=0)
    parser.add_argument("--json", help="also write every run's figures to this file")
    parser.add_argument("--keep-logs", action="store_true", help="keep each round's logs and reports")
    parser.add_argument("--inner", choices=["cloudcourt", "janus"], help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.cloudcourt = os.path.abspath(args.cloudcourt or os.path.join(args.target_dir, "release", "cloudcourt"))
    args.bot = os.path.abspath(args.bot or os.path.join(args.target_dir, "release", "cloudcourt-bot"))
    if args.inner:
        inner(args)
    else:
        outer(args)


if __name__ == "__main__":
    main()
