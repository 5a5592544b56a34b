"""How soon the app's first page shows its answer in a real browser.

    .venv/bin/python benchmarks/bench_app_first_page.py [--runs 5] [--app app.py]

Starts ``streamlit run app.py`` on a free local port and opens the page in headless Chromium
(``/usr/bin/chromium``, driven by Playwright from the ``test`` extra), as a new visitor each
run: a new browser context (a new Streamlit session) and a month-1 volume not asked for
before (``?workload.requests_per_month=60001``, 60002 …), so that no cached answer is
reused. Times are from the start of navigation (the page's ``performance.now()``) to:

* ``headline``: the recommendation heading is on the page;
* ``first chart``: the cumulative-cost chart has drawn its lines;
* ``all charts``: the script run is over and the page holds every chart (cumulative cost,
  breakdown, savings grid, tornado, Monte Carlo);

and the server's own "Computed in … ms". One visit before the counted runs warms up the
server (imports, the price table). Prints each run and the medians. A script, not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CHARTS = 5
"""Charts on the first page with Monte Carlo on (the default)."""
CHART = '[data-testid="stPlotlyChart"]'
FIRST_CHART = f"""() => {{
    const el = document.querySelector('{CHART}');
    return !!(el && el.querySelectorAll('.main-svg .trace').length > 0); }}"""
HEADLINE = """() => [...document.querySelectorAll('h3')].some(
    h => h.innerText.trim().length > 0)"""
ALL_CHARTS = f"""() => document.querySelectorAll('{CHART}').length >= {CHARTS}
    && !(document.querySelector('[data-testid="stStatusWidget"]')?.innerText || '')
         .includes('Running')
    && [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
         .some(c => c.innerText.includes('Computed in'))"""
NOW = "() => performance.now()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app: Path, port: int, log) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--server.runOnSave", "false"],
        cwd=app.parent, env=env, stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"streamlit did not start within {timeout:.0f} s")


def visit(browser, url: str, server: str) -> dict[str, float]:
    """One new visitor: milliseconds from navigation to each milestone."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(server) else route.abort())
    page = context.new_page()
    page.set_default_timeout(180_000)
    try:
        page.goto(url, wait_until="commit")
        out = {}
        for name, test in (("headline", HEADLINE), ("first chart", FIRST_CHART),
                           ("all charts", ALL_CHARTS)):
            page.wait_for_function(test, polling=50)
            out[name] = page.evaluate(NOW)
        text = page.inner_text("body")
        found = re.search(r"Computed in ([\d,]+) ms", text)
        out["server"] = float(found.group(1).replace(",", "")) if found else float("nan")
        return out
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="counted visits")
    parser.add_argument("--app", type=Path, default=ROOT / "app.py", help="the app to serve")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = f"http://127.0.0.1:{port}"
    with open(os.devnull, "wb") as log:
        proc = start_server(args.app.resolve(), port, log)
        try:
            wait_healthy(server, proc)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    visit(browser, f"{server}/", server)               # warm-up, not counted
                    runs = []
                    for i in range(args.runs):
                        got = visit(browser, f"{server}/?workload.requests_per_month="
                                             f"{60_001 + i}", server)
                        runs.append(got)
                        print(f"run {i + 1}: " + ", ".join(
                            f"{k} {v:,.0f} ms" for k, v in got.items()), flush=True)
                finally:
                    browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    print(f"medians over {len(runs)} new visitors (navigation -> milestone):")
    for name in ("headline", "first chart", "all charts", "server"):
        label = "server 'Computed in'" if name == "server" else name
        print(f"  {label:<22}{statistics.median(r[name] for r in runs):8,.0f} ms")


if __name__ == "__main__":
    main()
