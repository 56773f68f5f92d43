"""The claims registry and its verdict table, on hand-made results."""
import pytest

from stgkd.report.claims import CLAIMS, claim_cells, claim_verdicts, overall_verdict

from factories import fake_result


def run(experiment, seed, mae, **fields):
    """A full-profile run with MAE ``mae`` + 0.15 / 0.30 / 0.45 at 15 / 30 / 45 min,
    RMSE 1 higher, no MAPE."""
    return fake_result(experiment, "full", seed, mae=[mae + h / 100 for h in (15, 30, 45)],
                       rmse=[mae + 1 + h / 100 for h in (15, 30, 45)], mape=None, **fields)


def test_overall_verdict_words():
    assert overall_verdict(["holds"] * 6) == "holds"
    assert overall_verdict(["holds", "within noise"]) == "mixed"
    assert overall_verdict(["fails", "within noise"]) == "fails"
    assert overall_verdict(["within noise"] * 3) == "within noise"
    assert overall_verdict(["too few seeds"] * 6) == "too few seeds"
    assert overall_verdict(["not compared"] * 6) == "not compared"


def test_every_table_and_the_dmst_comparison_have_claims():
    sources = {claim.source for claim in CLAIMS}
    assert sources == {"Table 2", "Table 4", "Table 5", "Table 7", "Table 8", "comparison"}
    assert sum(claim.source == "comparison" for claim in CLAIMS) == 9   # nine baselines


def test_a_claim_that_holds_on_every_cell():
    # LSTCD is 0.10, 0.12, 0.11 below the student without KD on seeds 0, 1, 2: the
    # differences' interval lies below zero on each of the six cells
    results = [run("kd/losloop/student-no-kd", s, 4.0 + s) for s in range(3)]
    results += [run("kd/losloop/student-lstcd", s, 4.0 + s - d)
                for s, d in enumerate((0.10, 0.12, 0.11))]
    table = claim_verdicts(results)
    row = table[(table["statement"] == "LSTCD beats the student without distillation")
                & (table["dataset"] == "losloop")].iloc[0]
    assert row["verdict"] == "holds" and (row["holds"], row["cells"]) == (6, 6)
    assert row["n"] == 3 and row["seeds"] == "0, 1, 2"
    assert row["MAE difference 15 min"].startswith("-0.110 [")
    assert row["MAE difference 20 min"] == ""          # a DMST horizon
    assert row["paper_figures"] == ""          # the KD paper does not use Los-loop
    pemsd7m = table[(table["statement"] == row["statement"]) & (table["dataset"] == "pemsd7m")]
    assert pemsd7m["verdict"].iloc[0] == "not compared"
    # the paper's own Table 4 figures on PeMSD7: LSTCD lower on all six cells
    assert pemsd7m["paper_holds"].iloc[0] == "6 of 6"


def test_claims_follow_the_selection_rule():
    def history(test_maes):
        return [{"epoch": e + 1, "val_mae": 1.0 + e, "val": {"15min": {"mae": 1.0 + e}},
                 "test": {f"{h}min": {"mae": m, "rmse": m + 1} for h in (15, 30, 45)}}
                for e, m in enumerate(test_maes)]
    # best validation is epoch 1 on both; at the last epoch the student without KD is far worse
    results = [run("kd/losloop/student-no-kd", s, 4.0, history=history([4.0, 9.0 + s]))
               for s in range(3)]
    results += [run("kd/losloop/student-lstcd", s, 4.0, history=history([4.0 + s / 10, 4.0]))
                for s in range(3)]
    cells = claim_cells(results, "last-epoch")
    mine = cells[(cells["claimed_experiment"] == "kd/losloop/student-lstcd")
                 & (cells["baseline_experiment"] == "kd/losloop/student-no-kd")]
    assert (mine["verdict"] == "holds").all() and (mine["selection"] == "last-epoch").all()
    best = claim_cells(results, "best-val-mae")
    mine = best[(best["claimed_experiment"] == "kd/losloop/student-lstcd")
                & (best["baseline_experiment"] == "kd/losloop/student-no-kd")]
    # at the best epoch LSTCD is 0, 0.1, 0.2 above: the interval is above zero only if the
    # spread allows; mean +0.1, std 0.1, half width 4.302653 * 0.1 / sqrt(3) = 0.248
    assert mine["difference"].iloc[0] == pytest.approx(0.1)
    assert (mine["verdict"] == "within noise").all()


def test_the_introductions_table_has_a_row_per_kd_claim_and_one_per_dmst_data_set():
    from stgkd.report.claims import verdict_markdown
    results = [run("kd/losloop/student-no-kd", s, 4.0 + s) for s in range(3)]
    results += [run("kd/losloop/student-lstcd", s, 3.9 + s) for s in range(3)]
    table = verdict_markdown(claim_verdicts(results)).splitlines()
    kd_claims = sum(len(c.datasets) for c in CLAIMS if c.paper == "KD paper")
    assert len(table) == 2 + kd_claims + 2          # header, rule, KD rows, two DMST rows
    assert "| Table 4: LSTCD beats the student without distillation | losloop | 3 | holds |" \
        in table
    assert table[-1] == ("| DMST-GNODE beats each of its 9 baselines | pemsd7m | 0 | "
                         "not compared (9 of 9) |")


def test_the_introductions_table_carries_figure_3_rows_when_given():
    from stgkd.report.claims import verdict_markdown
    from stgkd.report.convergence import convergence_verdicts
    results = [run("kd/losloop/student-no-kd", s, 4.0 + s,
                   history=[{"epoch": 1, "val_mae": 5.0 + s}]) for s in range(3)]
    results += [run("kd/losloop/student-lstcd", s, 3.9 + s,
                    history=[{"epoch": 1, "val_mae": 4.9 + s + 0.01 * s}]) for s in range(3)]
    convergence = convergence_verdicts(results, datasets=["losloop"],
                                       baselines=["student-no-kd"])
    table = verdict_markdown(claim_verdicts(results), convergence).splitlines()
    assert ("| Figure 3: LSTCD converges better than student-no-kd (mean validation MAE over "
            "the epochs) | losloop | 3 | holds |") in table


def test_the_book_view_of_a_claim_keeps_only_the_horizons_some_row_fills():
    from stgkd.report.claims import claim_view
    results = [run("kd/losloop/student-no-kd", s, 4.0 + s) for s in range(3)]
    results += [run("kd/losloop/student-lstcd", s, 4.0 + s - d)
                for s, d in enumerate((0.10, 0.12, 0.11))]
    table = claim_verdicts(results)
    view = claim_view(table[table["paper"] == "KD paper"])
    # KD claims fill 15/30/45 min only; the DMST horizons' empty columns are dropped
    assert [c for c in view.columns if c.startswith("Δ MAE")] == [
        "Δ MAE, 15 min", "Δ MAE, 30 min", "Δ MAE, 45 min"]
    cell = view.loc[("Table 4: LSTCD beats the student without distillation", "losloop")]
    assert cell["holds / fails / noise"] == "6 / 0 / 0" and cell["verdict"] == "holds"
    assert cell["n"] == 3
    # a claim with no run compared shows "–" for its differences
    empty = view.loc[("Table 4: LSTCD beats the student without distillation", "pemsd7m")]
    assert empty["Δ MAE, 15 min"] == "–"


def test_the_verdict_table_reads_cells_paired_once_by_the_caller():
    results = [run("kd/losloop/student-no-kd", s, 4.0 + s) for s in range(3)]
    results += [run("kd/losloop/student-lstcd", s, 4.0 + s - d)
                for s, d in enumerate((0.10, 0.12, 0.11))]
    cells = claim_cells(results)
    fresh = claim_verdicts(results)
    # the given cells are what it reads: no runs at all, the same table
    assert claim_verdicts([], cells=cells).equals(fresh)
    assert claim_verdicts(results, cells=cells).equals(fresh)
