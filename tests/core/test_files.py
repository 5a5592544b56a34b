"""Report writers never clobber, never follow a link out, write whole files (issue 13)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from strategies import hand_scenario

from simulator import simulate
from simulator.cli.main import main
from simulator.core.errors import InputError
from simulator.core.files import write_files
from simulator.model.scenario import save_scenario
from simulator.reports.export import inert_frame, write_xlsx_report
from simulator.reports.html_report import write_html_report


@pytest.fixture(scope="module")
def result():
    return simulate(hand_scenario(options=["prompt", "finetune"]))


def test_to_csv_refuses_to_overwrite_and_writes_nothing(tmp_path, result):
    (tmp_path / "summary.csv").write_text("mine")
    with pytest.raises(InputError, match=r"summary\.csv already exists; nothing was written "
                                         r"\(pass overwrite=True"):
        result.to_csv(tmp_path)
    assert (tmp_path / "summary.csv").read_text() == "mine"
    assert not (tmp_path / "monthly.csv").exists()
    paths = result.to_csv(tmp_path, overwrite=True)
    assert pd.read_csv(paths["summary"])["option"].tolist() == ["prompt", "finetune"]


def test_to_csv_never_follows_a_planted_symlink(tmp_path, result):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "monthly.csv").symlink_to(victim)
    for overwrite in (False, True):
        with pytest.raises(InputError, match=r"monthly\.csv is a symbolic link .* never "
                                             r"writes through a link"):
            result.to_csv(out, overwrite=overwrite)
    assert victim.read_text() == "precious"
    assert not (out / "summary.csv").exists()


def test_html_xlsx_and_scenario_writers_refuse_to_overwrite(tmp_path, result):
    for name, write in (("r.html", lambda p, **k: write_html_report(result, p, **k)),
                        ("r.xlsx", lambda p, **k: write_xlsx_report(result, p, **k))):
        path = tmp_path / name
        path.write_text("mine")
        with pytest.raises(InputError, match="already exists"):
            write(path)
        assert path.read_text() == "mine"
        write(path, overwrite=True)
        assert path.stat().st_size > 1000


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    write_files({tmp_path / "a.txt": "x", tmp_path / "b.txt": b"y"})
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_cli_needs_force_to_replace_a_report(tmp_path, capsys):
    scenario = save_scenario(hand_scenario(options=["prompt", "finetune"]), tmp_path / "s.toml")
    report = tmp_path / "r.html"
    report.write_text("mine")
    assert main(["simulate", str(scenario), "--report", str(report)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "already exists" in err and "--force" in err
    assert report.read_text() == "mine"
    assert main(["simulate", str(scenario), "--report", str(report), "--force"]) == 0
    assert report.read_text() != "mine"


def test_split_exposed_formulas_are_inert_in_every_text_cell():
    frame = pd.DataFrame({"note": ["x;=cmd|' /C calc'!A0", "a,@SUM(1)", "ok; fine", "=1"],
                          "=col": [1, 2, 3, 4]})
    out = inert_frame(frame)
    assert out["note"].tolist() == ["x;'=cmd|' /C calc'!A0", "a,'@SUM(1)", "ok; fine", "'=1"]
    assert list(out.columns) == ["note", "'=col"]


def test_save_scenario_never_clobbers_or_follows_a_link(tmp_path):
    from simulator.model.scenario import load_scenario, save_scenario

    s = hand_scenario(options=["prompt", "finetune"])
    path = save_scenario(s, tmp_path / "s.toml")
    other = hand_scenario(options=["prompt"])
    with pytest.raises(InputError, match="already exists; nothing was written"):
        save_scenario(other, path)
    assert load_scenario(path) == s
    assert load_scenario(save_scenario(other, path, overwrite=True)) == other
    target = tmp_path / "elsewhere.toml"
    target.write_text("keep me")
    (tmp_path / "link.toml").symlink_to(target)
    with pytest.raises(InputError, match="symbolic link"):
        save_scenario(s, tmp_path / "link.toml", overwrite=True)
    assert target.read_text() == "keep me"
    header = "# from the logs\n"
    assert save_scenario(s, tmp_path / "h.toml", header=header).read_text().startswith(header)
