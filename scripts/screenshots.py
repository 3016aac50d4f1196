#!/usr/bin/env python3
"""Screenshots of the dashboards on the demo data, for the README: docs/screenshots/*.png.

Start a server with the demo organisation loaded, then point this script at it:

    python manage.py seed_demo
    DEBUG=true python manage.py runserver 127.0.0.1:8000
    python scripts/screenshots.py --base-url http://127.0.0.1:8000

It signs in as the demo's HR admin (overview, employee dashboard, EX→CX link) and CX manager
(customer dashboard) like any browser user; it does not import Django. It needs Playwright for
Python and a Chromium: Debian's /usr/bin/chromium, or the one named by $CHROMIUM. Pages are
1280 px wide, cut at --max-height, and reduced to a 256-colour palette when Pillow is installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

DEMO_PASSWORD = "tandem-demo"  # surveys/demo: every demo user has it
USERS = {"hr_admin": "hr@northwind.example", "cx_manager": "cx@northwind.example"}
PAGES = [  # (file name, who looks, path)
    ("overview", "hr_admin", "/dashboards/"),
    ("ex", "hr_admin", "/dashboards/ex/"),
    ("cx", "cx_manager", "/dashboards/cx/"),
    ("link", "hr_admin", "/dashboards/link/"),
]
WIDTH = 1280
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('canvas[data-chart]'))
    .every(c => window.Chart && window.Chart.getChart(c))"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "screenshots"
    )
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--max-height", type=int, default=1800, help="cut taller pages (px)")
    args = parser.parse_args(argv)

    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("Chromium not found: apt-get install chromium, or set CHROMIUM", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            pages = {
                role: _signed_in(browser, base, email, args.password)
                for role, email in USERS.items()
            }
            for name, role, path in PAGES:
                saved = _capture(
                    pages[role], base + path, args.out / f"{name}.png", args.max_height
                )
                print(f"{saved} ({saved.stat().st_size // 1024} KB)")
        except SignInFailed as error:
            print(error, file=sys.stderr)
            return 1
        finally:
            browser.close()
    return 0


class SignInFailed(Exception):
    pass


def _signed_in(browser, base: str, email: str, password: str):
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        raise SignInFailed(
            f"Could not sign in as {email}: is the demo loaded (manage.py seed_demo)?"
        )
    return page


def _capture(page, url: str, path: Path, max_height: int) -> Path:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(CHARTS_DRAWN, timeout=15_000)
    height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": height}
    )
    _shrink(path)
    return path


def _shrink(path: Path) -> None:
    """A 256-colour palette keeps text and charts sharp at a third of the size (optional)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


if __name__ == "__main__":
    sys.exit(main())
