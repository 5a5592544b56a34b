"""The app in a real browser: `streamlit run app.py`, Debian's Chromium, Playwright.

Loads the page, waits until every chart on each tab is drawn (plotly's SVG), changes an input
the way a user does and fails on any exception box Streamlit shows. Skipped only where
``/usr/bin/chromium`` is missing (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHART = '[data-testid="stPlotlyChart"]'
EXCEPTION = '[data-testid="stException"]'

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's Chromium is not installed at /usr/bin/chromium "
                                       "(apt-get install -y chromium; .ci/run does this)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start within 60 s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            # Nothing but the local server: no hanging on the network.
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url.startswith(server) else route.abort())
            page = context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


DRAWN = f"""() => [...document.querySelectorAll('{CHART}')]
    .filter(el => el.offsetParent !== null && el.querySelector('.main-svg')
                  && el.querySelectorAll('.main-svg .trace').length > 0).length"""
"""JavaScript: how many visible plotly charts have drawn their traces into their SVG."""


def drawn_charts(page) -> int:
    return page.evaluate(DRAWN)


def wait_idle(page) -> None:
    """Until the script run has finished (no 'Running…' status)."""
    page.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')
        || !document.querySelector('[data-testid="stStatusWidget"]').innerText
              .includes('Running')""")
    page.wait_for_timeout(300)


def exceptions(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all(EXCEPTION)]


def metric(page, label: str) -> str:
    return page.evaluate("""(label) => {
        for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
            const l = m.querySelector('[data-testid="stMetricLabel"]');
            if (l && l.innerText.trim() === label)
                return m.querySelector('[data-testid="stMetricValue"]').innerText.trim();
        }
        return null; }""", label)


def expected_breakeven(volume: float) -> str:
    """The break-even metric the page should show, from the library itself."""
    from simulator import example_scenario, simulate

    s = example_scenario().with_values(**{"workload.requests_per_month": volume,
                                          "options": ["prompt", "finetune"]})
    from simulator.core.wording import breakeven_text

    month = simulate(s).summary.set_index("option").loc["finetune", "breakeven_month"]
    return breakeven_text(month)


def test_page_loads_draws_every_chart_and_reacts(server, page):
    page.goto(server)
    page.wait_for_function(f"({DRAWN})() >= 1", timeout=60_000)
    wait_idle(page)
    assert exceptions(page) == []
    assert metric(page, "Break-even") == expected_breakeven(60_000)
    assert "Keep prompting a large model" in page.inner_text("h3")   # the team as it is today

    for tab in ("Breakdown", "Sensitivity", "Uncertainty"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_function(f"({DRAWN})() >= 1")
        assert drawn_charts(page) >= 1, tab
    assert drawn_charts(page) == 1  # the Monte Carlo histogram
    page.get_by_role("tab", name="Sensitivity").click()
    page.wait_for_function(f"({DRAWN})() == 2")  # heatmap and tornado

    # A user raises the volume: the answer follows, the URL keeps it.
    box = page.get_by_role("spinbutton", name="Requests in month 1 [requests/month]")
    box.fill("600000")
    box.press("Enter")
    busy = expected_breakeven(600_000)
    assert busy.startswith("month ")
    page.wait_for_function("""(want) => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
        .some(v => v.innerText.trim() === want)""", arg=busy)
    wait_idle(page)
    assert "workload.requests_per_month=600000" in page.url
    assert exceptions(page) == []


def test_a_shared_link_reproduces_the_view(server, page):
    page.goto(f"{server}/?workload.requests_per_month=150000&options=prompt,finetune")
    page.wait_for_function(f"({DRAWN})() >= 1", timeout=60_000)
    wait_idle(page)
    assert exceptions(page) == []
    assert metric(page, "Break-even") == expected_breakeven(150_000) != "never"
    assert page.get_by_role("spinbutton", name="Requests in month 1 [requests/month]").input_value() == "150000"


HOSTILE = "![x](http://hostile.example/m.png)"


def test_a_hostile_share_link_fetches_nothing_from_outside(server, page):
    """Model, GPU, offering, embedding model and successor names written as markdown images
    (and an HTML image as the provider): the viewer's browser shows them as text and sends no
    request anywhere but the app's own server."""
    from urllib.parse import urlencode

    seen: list[str] = []

    def record(request):
        seen.append(request.url)

    query = urlencode({"prompt.model": HOSTILE, "selfhost.gpu": HOSTILE,
                       "finetune.offering": HOSTILE, "rag.embedding_model": HOSTILE,
                       "prompt.successor": f"openai/{HOSTILE}",
                       "prompt.provider": '<img src="http://hostile.example/i.png">',
                       f"x{HOSTILE}": HOSTILE, "title": ":red[**alarm**]"})
    page.on("request", record)
    try:
        page.goto(f"{server}/?{query}")
        page.wait_for_selector('[data-testid="stAlert"]', timeout=60_000)
        wait_idle(page)
        page.wait_for_timeout(1500)  # room for any image a message would load
        alerts = " ".join(a.inner_text() for a in page.query_selector_all(
            '[data-testid="stAlert"]'))
    finally:
        page.remove_listener("request", record)
    outside = [u for u in seen if not u.startswith((server, "data:", "blob:"))]
    assert outside == []
    assert seen  # the listener saw the page's own requests
    assert HOSTILE in alerts  # shown as the characters it is
    assert page.query_selector('img[src*="hostile"]') is None
    assert exceptions(page) == []
