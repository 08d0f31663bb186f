"""Screenshots of the web console on the demo data, for the README: start `scripts/run.sh` first.

    .venv/bin/python -m scripts.console_screenshots [--base http://127.0.0.1:8000] [--out docs]

Logs in as the demo verifier, opens the visit whose 房前 photo the checks found reused, then as the
county supervisor opens the report; drives Debian's chromium through Playwright, as the tests do.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from devkit.generate import DEMO_PASSWORD

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs")
    args = parser.parse_args()
    out = Path(args.out)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        for username, shots in (("town1_verifier", "visit"), ("county_supervisor", "report")):
            page = browser.new_context(
                base_url=args.base, viewport={"width": 1440, "height": 1100}
            ).new_page()
            page.goto("/console/login")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            if shots == "visit":
                page.goto("/console/queue?state=has_issues")
                page.locator("table.queue tbody a").first.click()
                expect(page.locator("figure.match")).to_have_count(1)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"console-{shots}.png"), full_page=shots == "report")
            print(out / f"console-{shots}.png")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
