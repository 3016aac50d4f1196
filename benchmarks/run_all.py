"""Every benchmark in turn, each in its own process; `make bench` runs this.

    python -m benchmarks.run_all                    # full size (about 20 minutes on 2 cores)
    python -m benchmarks.run_all --smoke            # dashboard + scoring at 10,000 answers
    python -m benchmarks.run_all --output out.md    # also write everything printed to a file

Needs DATABASE_URL (PostgreSQL) and, for live/ingest/load/peer, REDIS_URL and wrk. The first full run
generates the million answers (a few minutes); later runs reuse them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from benchmarks.common import ROOT

FULL = [
    ("dashboard", []),
    ("live", []),
    ("scoring", []),
    ("ingest", []),
    ("load", []),
    ("peer", []),
]
SMOKE = [("dashboard", ["--smoke"]), ("scoring", ["--smoke"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="dashboard and scoring, 10k answers")
    parser.add_argument("--only", nargs="*", help="benchmark names, e.g. dashboard scoring")
    parser.add_argument("--output", help="also write the combined output to this file")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL to a PostgreSQL database (and REDIS_URL)")
    plan = [(n, a) for n, a in (SMOKE if args.smoke else FULL) if not args.only or n in args.only]
    output: list[str] = []
    failed = []
    for name, extra in plan:
        header = f"\n## {name}\n"
        print(header, flush=True)
        output.append(header)
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", f"benchmarks.{name}", *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in process.stdout:
            print(line, end="", flush=True)
            output.append(line.rstrip("\n"))
        if process.wait():
            failed.append(name)
        output.append(f"\n({name}: {time.monotonic() - started:.0f} s)")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write("\n".join(output) + "\n")
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
