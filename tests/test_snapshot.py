"""The table snapshot that checks a refactor moves no number."""
import json

from stgkd.report.snapshot import differences, extract, main, output_tables


def notebook(path, outputs):
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": outputs}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


HTML = '<style>#T_1a2b3_row0 {}</style><table id="T_1a2b3"><tr><td>4.2</td></tr></table>'


def test_tables_stdout_and_markdown_are_kept_and_styler_ids_fixed():
    outputs = [{"output_type": "display_data", "data": {"text/html": HTML}},
               {"output_type": "stream", "name": "stdout", "text": ["3 of 7 rows filled\n"]},
               {"output_type": "stream", "name": "stderr", "text": "a warning"},
               {"output_type": "display_data", "data": {"text/markdown": "| a |\n|---|\n| 1 |"}},
               {"output_type": "display_data", "data": {"text/markdown": "just prose"}},
               {"output_type": "display_data", "data": {"image/png": "..."}}]
    kinds = [kind for output in outputs for kind, _ in output_tables(output)]
    assert kinds == ["html", "stdout", "markdown"]
    html = output_tables(outputs[0])[0][1]
    assert "T_1a2b3" not in html and html.count("T_id") == 2 and "4.2" in html


def test_a_changed_number_is_found_and_identical_runs_are_identical(tmp_path, capsys):
    # each execution gets other Styler ids; only "after" has another number
    for name, value, ids in (("before", "4.2", "aaaaa"), ("same", "4.2", "bbbbb"),
                             ("after", "4.3", "ccccc")):
        folder = tmp_path / name
        folder.mkdir()
        html = HTML.replace("4.2", value).replace("1a2b3", ids)
        notebook(folder / "01_x.ipynb",
                 [{"output_type": "display_data", "data": {"text/html": html}}])
        (folder / "page.md").write_text("| a |\n|---|\n| 1 |")
    snaps = {name: extract(tmp_path / name) for name in ("before", "same", "after")}
    assert [t["source"] for t in snaps["before"]] == ["01_x #1", "page.md"]
    assert differences(snaps["before"], snaps["same"]) == []
    found = differences(snaps["before"], snaps["after"])
    assert len(found) == 1 and found[0].startswith("01_x #1: changed")
    for name, snap in snaps.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(snap))
    assert main(["compare", str(tmp_path / "before.json"), str(tmp_path / "same.json")]) == 0
    assert main(["compare", str(tmp_path / "before.json"), str(tmp_path / "after.json")]) == 1
    assert "01_x #1: changed" in capsys.readouterr().out
