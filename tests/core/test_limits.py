

def test_oversized_csv_cells_are_clear_errors_not_tracebacks(tmp_path, capsys):
    """A cell past the csv module's 131,072-character limit, in a price file or a request
    log, is named by file and line (exit 2), never an 'unexpected' error."""
    from simulator.cli.main import main

    big = tmp_path / "big.csv"
    big.write_text("provider,model,effective_from,input_usd_per_mtok,output_usd_per_mtok,"
                   "source_url\nacme,m,2024-01-01,1,2," + "x" * 200_000 + "\n")
    assert main(["prices", "--prices", str(big), "--model", "m"]) == 2
    err = capsys.readouterr().err
    assert f"{big}, line 2: not CSV (field larger than field limit" in err
    assert "unexpected" not in err
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 150_000 + "]" * 150_000 + "\n")
    assert main(["workload", str(deep)]) == 2
    err = capsys.readouterr().err
    assert "line 1 is neither a JSON request nor a CSV header" in err
    assert "unexpected" not in err
