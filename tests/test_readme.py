"""The README's results summary agrees with the stored results."""
from stgkd.registry import PROFILES
from stgkd.readme import END, START, main, summary_markdown, updated_readme
from factories import fake_result
from test_report_dmst import dmst_result


def test_readme_summary_matches_the_stored_results():
    assert main(["--check"]) == 0, "run `python -m stgkd.readme` after adding results"


def test_updated_readme_replaces_only_the_marked_block():
    text = f"intro\n{START}\nold\n{END}\noutro\n"
    assert updated_readme(text, "new") == f"intro\n{START}\nnew\n{END}\noutro\n"


def test_summary_labels_each_table_with_its_own_horizons():
    # a DMST run forecasts 20/40/60 min, a KD run 15/30/45: neither table may borrow
    # the other's header
    results = [dmst_result("ST-GCN", "full", 4.0), dmst_result("ARIMA", "full", 6.0),
               fake_result("kd/losloop/teacher", "full", mae=(3.0, 4.0, 5.0), rmse=5.0)]
    summary = summary_markdown(results)
    dmst = _block(summary, "| DMST-GNODE comparison")
    # the header states the budget, read from the DMST profile (dmst_result records no
    # optimiser, so none is named)
    epochs = PROFILES["full"].dmst.max_epochs
    assert dmst[0] == (f"| DMST-GNODE comparison, RMSE at 20 / 40 / 60 min (full profile: at "
                       f"most {epochs} epochs, not the DMST-GNODE paper's 600) | Los-loop |")
    # dmst_result: RMSE 4.0 at 20 min, then + 10 per horizon
    assert "| ST-GCN | 4.000 / 14.000 / 24.000 |" in dmst
    assert "| ARIMA | 6.000 / 16.000 / 26.000 |" in dmst
    assert "| DMST-GNODE | not yet run |" in dmst
    others = _block(summary, "| KD and pruning runs")
    assert "MAE 15 / 30 / 45 min | RMSE 15 / 30 / 45 min |" in others[0]
    # the teacher: MAE 3, 4, 5 and RMSE 5 everywhere
    assert others[2:] == ["| `kd/losloop/teacher` | 0 | 3.000 / 4.000 / 5.000 | 5.000 / 5.000 / 5.000 |"]


def test_summary_puts_pruning_rows_under_table_8_with_their_level():
    results = [fake_result("prune/pemsd7m/taylor-25", "full", mae=(2.8, 3.8, 4.8), rmse=5.0,
                           paper_row="Pruned W/O KD", paper_setting="pruned 25%")]
    summary = summary_markdown(results)
    table8 = _block(summary, "| PeMSD7(M), Table 8")
    # the paper's Pruned W/O KD 25%: MAE 2.721 at 15 min; ours 2.8 is 2.9% above it
    assert table8[2].startswith("| Pruned W/O KD, pruned 25% | MAE | 2.721 / **2.800** (+2.9%) |")
    assert table8[2].endswith("| full (1) |")    # the profile and the seeds averaged
    assert len(table8) == 4                   # header, rule, MAE and RMSE of the one run
    second = fake_result("prune/pemsd7m/taylor-25", "full", 1, mae=(3.0, 4.0, 5.0), rmse=5.0,
                         paper_row="Pruned W/O KD", paper_setting="pruned 25%")
    table8 = _block(summary_markdown(results + [second]), "| PeMSD7(M), Table 8")
    # the mean of 2.8 and 3.0 is 2.9, 6.6% above the paper's 2.721
    assert table8[2].startswith("| Pruned W/O KD, pruned 25% | MAE | 2.721 / **2.900** (+6.6%) |")
    assert table8[2].endswith("| full (2) |")
    # runs on the KD paper's data sets and DMST runs are not listed as "other"
    assert "| KD and pruning runs" not in summary
    assert "| DMST-GNODE comparison" not in summary


def _block(summary: str, header: str) -> list[str]:
    """The lines of the markdown table in ``summary`` whose first line starts with ``header``."""
    lines = summary.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end]


def test_training_line_names_the_teachers_fastest_equal_variant(tmp_path, monkeypatch):
    import json

    from stgkd import readme

    monkeypatch.setenv("STGKD_RESULTS", str(tmp_path))
    assert readme._training_lines() == []        # no benchmark stored: no line
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    variants = {"eager": {"windows_per_s": 100.0, "speedup": 1.0, "equal": True},
                "compiled": {"windows_per_s": 130.0, "speedup": 1.3, "equal": True},
                # faster, but its numbers differ from the eager model's: never named
                "broken": {"windows_per_s": None, "speedup": None, "equal": False}}
    (folder / "train-step-variants-x.json").write_text(json.dumps({
        "benchmark": "train_step_variants", "created": "2026-11-30T00:00:00+00:00",
        "machine": {"device": "Some CPU"}, "models": {"teacher": {"variants": variants}}}))
    line = readme._training_lines()[1]
    assert "on Some CPU: eager 100 windows/s" in line
    assert "compiled 130 windows/s (1.30x; the aim is 1.5x)" in line
    assert line.endswith("from `train-step-variants-x.json`.")
