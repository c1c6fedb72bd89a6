#!/usr/bin/env python3
"""Boot-to-ready: how long the kiosk takes from process start to READY=1.

Starts the real `onemed kiosk` the way systemd does for Type=notify (a
NOTIFY_SOCKET this script binds), on a virtual display (Xvfb, winit-software,
no camera), and measures process start -> READY=1 (models loaded, home screen
usable). Each round runs twice on one fresh cache folder:

  cold  the OpenVINO compiled-model cache is empty (first boot after install)
  warm  the same cache, filled by the cold run (every later boot)

The binary, the runtime and the models are in the OS page cache after the
first round either way: "cold" is about OpenVINO's cache, not the disk.
Prints each run and the medians. `make boot-bench` runs it.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def start_xvfb():
    """Xvfb on the first free display from a per-process number."""
    first = 500 + os.getpid() % 300
    for n in range(first, first + 40):
        if Path(f"/tmp/.X{n}-lock").exists() or Path(f"/tmp/.X11-unix/X{n}").exists():
            continue
        try:
            proc = subprocess.Popen(
                ["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            sys.exit("boot-to-ready: Xvfb is missing (scripts/setup-system.sh installs it)")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                return proc, f":{n}"
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        stop(proc)
    sys.exit("boot-to-ready: no free X display")


def stop(proc):
    """SIGTERM, then SIGKILL after 5 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def one_run(args, display, work, cache_home, label):
    """Seconds from starting the kiosk to its READY=1."""
    sock_path = work / f"notify-{label}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    env = dict(os.environ)
    for k in ("STATE_DIRECTORY", "CACHE_DIRECTORY", "ONEMED_CONFIG", "WATCHDOG_PID"):
        env.pop(k, None)
    env.update(
        DISPLAY=display,
        SLINT_BACKEND="winit-software",
        NOTIFY_SOCKET=str(sock_path),
        WATCHDOG_USEC="10000000",
        ONEMED_MODELS=str(args.models),
        XDG_CACHE_HOME=str(cache_home),
        XDG_DATA_HOME=str(work / "data"),
    )
    config = work / "kiosk.toml"
    config.write_text("")  # defaults, whatever /etc/onemed holds
    log = open(work / f"kiosk-{label}.log", "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [args.bin, "--config", str(config), "kiosk", "--camera", "none"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = t0 + args.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                sys.exit(f"boot-to-ready: no READY=1 within {args.timeout} s ({label}); see {log.name}")
            sock.settimeout(min(left, 0.5))
            try:
                msg = sock.recv(4096).decode(errors="replace")
            except socket.timeout:
                if proc.poll() is not None:
                    sys.exit(f"boot-to-ready: the kiosk exited ({proc.returncode}) before READY=1; see {log.name}")
                continue
            if "READY=1" in msg.splitlines():
                return time.monotonic() - t0
    finally:
        stop(proc)
        log.close()
        sock.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=str(HERE / "target/release/onemed"))
    p.add_argument("--runs", type=int, default=5, help="rounds of (cold, warm); default 5")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for READY=1")
    p.add_argument(
        "--models",
        default=os.environ.get("ONEMED_MODELS", str(HERE.parent / "shared/models")),
    )
    args = p.parse_args()
    if args.runs < 1:
        sys.exit("boot-to-ready: --runs must be at least 1")
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"boot-to-ready: no binary at {args.bin} (make build)")
    if not Path(args.models).is_dir():
        sys.exit(f"boot-to-ready: models not found at {args.models}")

    xvfb, display = start_xvfb()
    cold, warm = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="boot-to-ready-") as tmp:
            work = Path(tmp)
            for i in range(args.runs):
                cache_home = work / f"cache-{i}"  # empty: OpenVINO compiles every model
                cold.append(one_run(args, display, work, cache_home, f"{i}-cold"))
                warm.append(one_run(args, display, work, cache_home, f"{i}-warm"))
                print(f"round {i + 1}: cold {cold[-1] * 1000:6.0f} ms   warm {warm[-1] * 1000:6.0f} ms", flush=True)
    finally:
        stop(xvfb)
    print(
        f"process start -> READY=1, median of {args.runs}: "
        f"cold cache {statistics.median(cold) * 1000:.0f} ms, "
        f"warm cache {statistics.median(warm) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
