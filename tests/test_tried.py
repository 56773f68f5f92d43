"""What was tried for each claim: other readings counted from stored runs, and the verdict
under the other selection rules, on hand-made results."""
import pandas as pd

from stgkd.report.tried import ALSO_ASKED, other_rules_text, stored_runs, tried_text

from factories import fake_result


def test_stored_runs_count_experiments_and_runs_matching_the_patterns():
    results = [fake_result("kd/losloop/student-lstcd-corr0", "full", s) for s in range(3)]
    results += [fake_result("kd/losloop/student-lstcd-corr1e-1", "full", 0),
                fake_result("kd/pemsd7m/student-lstcd-corr0", "full", 0),
                fake_result("kd/losloop/student-lstcd-corr1e-2", "quick", 0)]
    assert stored_runs(results, ["kd/{dataset}/student-lstcd-corr*"], "losloop") == (2, 4)
    assert stored_runs(results, ["kd/{dataset}/student-lstcd-corr*"], "pemsd7m") == (1, 1)
    assert stored_runs(results, ["kd/{dataset}/student-lstcd-mean"], "losloop") == (0, 0)


def test_tried_text_names_each_reading_and_what_is_stored():
    results = [fake_result("kd/losloop/student-lstcd-mean", "full", 0)]
    results += [fake_result("kd/losloop/student-lstcd-corr5e-1", "full", s) for s in range(2)]
    results += [fake_result("kd/losloop/student-lstcd-corr0", "full", 0)]
    text = tried_text(results, "Table 4", "LSTCD beats the student without distillation",
                      "losloop")
    assert text == ("LORD as a mean (1 run); correlation terms weighed to 0-0.5 of the loss "
                    "(2 experiments, 3 runs)")
    assert tried_text([], "Table 4", "LSTCD beats the student without distillation",
                      "pemsd7m") == ("LORD as a mean (not yet run); correlation terms "
                                     "weighed to 0-0.5 of the loss (not yet run)")
    assert tried_text(results, "Table 2", "LORD beats response distillation with KL "
                      "(LRD(KL))", "losloop") == ""
    # every Table 8 level and every DMST baseline has its readings
    assert sum(key[0] == "Table 8" for key in ALSO_ASKED) == 3
    assert sum(key[0] == "comparison" for key in ALSO_ASKED) == 9


def test_other_rules_say_where_the_verdict_differs_or_could_not_be_tested():
    cells = pd.Series({"best-val-mae": "fails (n=4)", "last-epoch": "within noise (n=2)",
                       "stgcn-any-improved": "fails (n=2)"})
    assert other_rules_text(cells) == "last-epoch: within noise (n=2)"
    cells["last-epoch"] = "fails (n=2)"
    assert other_rules_text(cells) == "same verdict"
    cells["stgcn-any-improved"] = "too few seeds (n=1)"
    assert other_rules_text(cells) == "same verdict; stgcn-any-improved untested"
    cells["last-epoch"] = "not compared (n=0)"
    assert other_rules_text(cells) == "untested (too few seeds with per-epoch metrics)"
    cells["best-val-mae"] = "too few seeds (n=1)"
    assert other_rules_text(cells) == "–"
