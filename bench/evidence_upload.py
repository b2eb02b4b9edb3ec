#!/usr/bin/env python3
"""Memory of a large evidence upload: starts `cloudcourt demo` on a fresh data
directory, uploads one file of --size-mib MiB through the resumable API in 4 MiB
chunks as the clerk (the bytes are generated on the fly, never written to disk here),
samples the server's resident memory all along, checks the SHA-256 the server kept,
and prints the figures. Standard library only.

    python3 bench/evidence_upload.py --binary /var/tmp/cloudcourt-target/release/cloudcourt --size-mib 1024
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time


def rss_kib(pid, field):
    """VmRSS or VmHWM of a process, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Samples a process's resident memory every 20 ms and keeps the peak."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid, "VmRSS"))
            time.sleep(0.02)


def request(conn, method, path, body=None, headers=None, cookie=None):
    headers = dict(headers or {})
    if cookie:
        headers["Cookie"] = cookie
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 400:
        sys.exit(f"{method} {path}: {response.status} {data[:300]!r}")
    return response, json.loads(data) if data else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="/var/tmp/cloudcourt-target/release/cloudcourt")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-mib", type=int, default=4)
    args = parser.parse_args()
    size, chunk = args.size_mib << 20, args.chunk_mib << 20

    data_dir = tempfile.mkdtemp(prefix="cloudcourt-bench-")
    password = "bench-" + secrets.token_urlsafe(12)
    server = subprocess.Popen(
        [args.binary, "demo", "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--demo-password", password],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        url = None
        for line in server.stdout:
            found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if found:
                url = found
                break
        if not url:
            sys.exit("the server did not print its address")
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        conn = http.client.HTTPConnection("127.0.0.1", int(url.group(1)), timeout=600)
        response, _ = request(conn, "POST", "/api/v1/session", {"username": "clerk", "password": password})
        cookie = response.getheader("Set-Cookie").split(";")[0]
        _, hearings = request(conn, "GET", "/api/v1/hearings", cookie=cookie)
        hearing = hearings[0]["id"]
        _, upload = request(
            conn, "POST", f"/api/v1/hearings/{hearing}/evidence/uploads",
            {"file_name": "bench.pdf", "size": size, "title": "基准测试", "purpose": ""}, cookie=cookie,
        )
        time.sleep(0.5)
        before = rss_kib(server.pid, "VmRSS")
        sampler = Sampler(server.pid)
        sampler.start()
        digest = hashlib.sha256()
        started = time.monotonic()
        offset, last = 0, None
        while offset < size:
            n = min(chunk, size - offset)
            piece = os.urandom(n)
            if offset == 0:
                piece = b"%PDF-1.7\n" + piece[9:]
            digest.update(piece)
            _, last = request(
                conn, "PATCH", f"/api/v1/evidence/uploads/{upload['id']}", piece,
                {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}, cookie,
            )
            offset += n
        elapsed = time.monotonic() - started
        sampler.running = False
        sampler.join()
        hwm = rss_kib(server.pid, "VmHWM")
        kept = last["evidence"]["sha256"]
        if kept != digest.hexdigest():
            sys.exit(f"SHA-256 differs: server {kept}, sent {digest.hexdigest()}")
        print(f"file                 {args.size_mib} MiB in {args.chunk_mib} MiB chunks (SHA-256 verified)")
        print(f"time                 {elapsed:.1f} s ({args.size_mib / elapsed:.0f} MiB/s, staging + blob store + hash)")
        print(f"server RSS before    {before / 1024:.1f} MiB")
        print(f"server RSS peak      {sampler.peak / 1024:.1f} MiB (sampled every 20 ms)")
        print(f"server VmHWM         {hwm / 1024:.1f} MiB (peak over its whole life)")
        print(f"growth               {(sampler.peak - before) / 1024:.1f} MiB for a {args.size_mib} MiB file")
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["rm", "-rf", data_dir], check=False)


if __name__ == "__main__":
    main()
