"""Audit the project's dependency set with pip-audit; fail on any known vulnerability.

The set audited is what `pip install -e '.[dev]'` installed: pyproject.toml's requirements and,
transitively, theirs, pinned to the installed versions (so the audit takes seconds and needs no
resolver or download).

Why the canary: pip-audit's default service reads PyPI's per-release JSON API. The package
proxy this project's machines use serves the index but answers 404 there, and pip-audit then
reports every package as "not found" and exits 0: a silent pass. The OSV service may not even
resolve from here. So each service is first asked about a release with known
advisories (django==3.2); a service that cannot name them is unusable from here. With a usable
service the audit fails the run on any finding; with none it prints a warning and passes, since a
network we do not control must not fail CI.

    python .ci/audit_deps.py [--service auto|pypi|osv] [--osv-url URL]

Exit 0: no known vulnerability, or no usable service (a warning says so); 1: vulnerable.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
CANARY = "django==3.2"
# The installer itself comes with the environment (pip-api pulls it in), not with the project.
ENVIRONMENT_TOOLS = {"pip", "setuptools", "wheel"}


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """`name==version` for every installed distribution the project needs, transitively."""
    project = tomllib.loads(pyproject.read_text())["project"]
    pending = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        pending += [Requirement(r) for r in extra]
    pins: dict[str, str] = {}
    while pending:
        requirement = pending.pop()
        key = _key(requirement.name)
        if key in pins or key in ENVIRONMENT_TOOLS:
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue  # not installed here (an extra or a platform we are not on)
        pins[key] = dist.version
        for text in dist.requires or []:
            child = Requirement(text)
            extras = requirement.extras or {""}
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in extras):
                pending.append(child)
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def pip_audit(pins: list[str], service: list[str]) -> tuple[int, dict | None, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(pins) + "\n")
    command = [sys.executable, "-m", "pip_audit", "-r", handle.name, "--no-deps", "--disable-pip"]
    command += ["--progress-spinner", "off", "--format", "json", *service]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = None
    return result.returncode, report, result.stderr


def findings(report: dict) -> list[str]:
    return [
        f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions']) or '?'})"
        for dep in report.get("dependencies", [])
        for vuln in dep.get("vulns", [])
    ]


def usable(service: list[str]) -> bool:
    _, report, _ = pip_audit([CANARY], service)
    return bool(report and findings(report))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osv-url", help="another OSV endpoint (default: pip-audit's)")
    parser.add_argument("--service", choices=["auto", "pypi", "osv"], default="auto")
    args = parser.parse_args()
    services = []
    if args.service in ("auto", "pypi"):
        services.append(["--vulnerability-service", "pypi"])
    if args.service in ("auto", "osv"):
        osv_url = ["--osv-url", args.osv_url] if args.osv_url else []
        services.append(["--vulnerability-service", "osv", *osv_url])
    service = next((s for s in services if usable(s)), None)
    if service is None:
        print("pip-audit: WARNING no vulnerability service answers from this network; skipped")
        return 0
    pins = pinned_dependencies()
    code, report, stderr = pip_audit(pins, service)
    if report is None:
        print(f"pip-audit: WARNING the audit did not complete; skipped\n{stderr.strip()}")
        return 0
    found = findings(report)
    for line in found:
        print(f"pip-audit: VULNERABLE {line}")
    print(
        f"pip-audit: {len(pins)} packages audited via {service[1]}, {len(found)} known vulnerabilities"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
