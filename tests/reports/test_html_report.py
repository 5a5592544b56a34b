"""The HTML report: one self-contained file with the answer, the figures, every chart, the
summary and the assumptions; opened offline in headless Chromium, every chart draws."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs
from strategies import hand_scenario, hand_scenario_dict

from simulator import Scenario, Triangular, monte_carlo, simulate
from simulator.core.wording import NEVER, SINGLE_ESTIMATE_PYTHON, format_usd
from simulator.reports import answer
from simulator.reports.html_report import html_report, report_figures, write_html_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def scenario():
    return hand_scenario(options=["prompt", "finetune", "selfhost"], horizon_months=12,
                         as_of="2026-11-23")


@pytest.fixture(scope="module")
def result(scenario):
    return simulate(scenario)


@pytest.fixture(scope="module")
def mc(scenario):
    return monte_carlo(scenario, {"workload.requests_per_month":
                                  Triangular(low=500, mode=1000, high=20_000)}, n=300, seed=2)


@pytest.fixture(scope="module")
def page_html(result, mc):
    return html_report(result, mc)


def test_self_contained_plotly_inlined_once_and_no_network(page_html):
    bundle = get_plotlyjs()
    assert page_html.count(bundle[:300]) == 1
    assert not re.search(r"<script[^>]*\bsrc=", page_html)
    assert not re.search(r"<link[^>]*\bhref=", page_html)
    assert not re.search(r"""(src|href)=["']?(https?:)?//cdn""", page_html)
    assert "mathjax" not in page_html.split(bundle)[1].lower()


def test_answer_figures_and_every_chart(result, mc, page_html):
    sentence = answer.headline(result.summary, "prompt", 12, mc.summary, mc.n)
    assert f'id="recommendation">{html.escape(sentence)}</p>' in page_html
    k = answer.key_figures(result.summary, "prompt", 12, mc.summary)
    for value in (k["breakeven_text"], k["savings_text"], k["roi_text"], k["p_text"]):
        assert f'<div class="value">{html.escape(value)}</div>' in page_html
    for key in ("cumulative", "breakdown", "heatmap", "tornado", "montecarlo"):
        assert f'id="chart-{key}"' in page_html, key
    assert page_html.count("Plotly.newPlot(") == 5


def test_summary_table_values(result, page_html):
    s = result.summary.set_index("option")
    summary = page_html.split('<table class="summary">')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", summary)[1:]
    cells = [re.findall(r"<td>(.*?)</td>", r) for r in rows]
    by_option = {c[0]: c for c in cells}
    base = by_option["Prompting (baseline)"]
    assert base[1] == format_usd(s.loc["prompt", "tco_usd"]).replace("$", "$")
    assert base[5:9] == ["", "", "", ""]               # savings, ROI, break-even: baseline blank
    self_host = by_option["Self-host a LoRA"]
    assert self_host[1] == format_usd(s.loc["selfhost", "tco_usd"])
    assert self_host[7] == NEVER                       # dearer through the horizon
    assert self_host[5] == format_usd(s.loc["prompt", "tco_usd"] - s.loc["selfhost", "tco_usd"])


def test_assumptions_with_sources_and_the_scenario(result, page_html):
    for field in result.prices.field:
        assert f"<td>{html.escape(field)}</td>" in page_html
    urls = {u for u in result.prices.source_url if isinstance(u, str) and u.startswith("http")}
    for url in urls:
        assert f'<a href="{html.escape(url)}">' in page_html
    assert "horizon_months = 12" in page_html
    assert "Month 0 (one-time costs) is 2026-11-23; month 12 ends in 2027-10" in page_html


def test_without_monte_carlo_the_hint_names_vary(result):
    text = html_report(result)
    assert "--vary" in text and SINGLE_ESTIMATE_PYTHON not in text
    assert 'id="chart-montecarlo"' not in text and text.count("Plotly.newPlot(") == 4


def test_text_is_escaped(tmp_path):
    data = hand_scenario_dict()
    data["title"] = "<script>alert('x')</script> & co"
    data["options"] = ["prompt", "finetune"]
    r = simulate(Scenario.from_dict(data))
    text = write_html_report(r, tmp_path / "r.html").read_text()
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in text


def test_only_the_baseline_draws_two_charts():
    r = simulate(hand_scenario(options=["prompt"]))
    charts, skipped = report_figures(r)
    assert [c.key for c in charts] == ["cumulative", "breakdown"]
    assert skipped == ["Only the baseline is simulated: no savings charts."]


# ---- in a real browser ------------------------------------------------------------------------

DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
    id: el.id,
    traces: el.querySelectorAll('.main-svg .trace, .main-svg .hm').length,
    names: el.data.map(t => t.name || ''),
    first_y: el._fullData.length ? Array.from(el._fullData[0].y || []) : []}))"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at "
                    "/usr/bin/chromium (apt-get install -y chromium; .ci/run does this)")
def test_every_chart_draws_offline_in_chromium(result, mc, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    path = write_html_report(result, tmp_path / "report.html", mc)
    requested, errors = [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def only_the_file(route):
                requested.append(route.request.url)
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    route.abort()

            context.route("**/*", only_the_file)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(path.as_uri())
            page.wait_for_function("""() => {
                const plots = [...document.querySelectorAll('.js-plotly-plot')];
                return plots.length === 5 && plots.every(el =>
                    el.querySelectorAll('.main-svg .trace, .main-svg .hm').length > 0); }""",
                                   timeout=30_000)
            drawn = {c["id"]: c for c in page.evaluate(DRAWN)}
            headline = page.inner_text("#recommendation")
        finally:
            browser.close()
    assert errors == []
    assert [u for u in requested if not u.startswith("file://")] == []
    assert set(drawn) == {f"chart-{k}" for k in ("cumulative", "breakdown", "heatmap",
                                                 "tornado", "montecarlo")}
    for chart in drawn.values():
        assert chart["traces"] > 0, chart["id"]
    # the drawn baseline curve is the result's cumulative cost, month by month
    cum = result.cumulative()
    expected = cum[cum.option == "prompt"].cumulative_usd.tolist()
    assert drawn["chart-cumulative"]["names"][0] == "Prompting (baseline)"
    assert drawn["chart-cumulative"]["first_y"] == pytest.approx(expected)
    assert headline == answer.headline(result.summary, "prompt", 12, mc.summary, mc.n)
