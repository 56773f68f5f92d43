"""Links from the book to the code: file and def line of the functions named."""
import re
from pathlib import Path

import pytest

from stgkd.report.code_links import REPOSITORY_ROOT, code_url, resolve, source_location

BOOK = REPOSITORY_ROOT / "book"
LINK = re.compile(r"\{code-link\}`([^`]+)`")


def _line(path: str, number: int) -> str:
    return (REPOSITORY_ROOT / path).read_text().splitlines()[number - 1]


@pytest.mark.parametrize("target, path, keyword", [
    ("stgkd.distill.response.lord", "stgkd/distill/response.py", "def"),
    ("stgkd.prune.algorithm1", "stgkd/prune/algorithm.py", "def"),   # re-exported name
    ("stgkd.nn.stgcn.STGCN", "stgkd/nn/stgcn.py", "class"),
    ("stgkd.prune.importance.TaylorImportance.accumulate", "stgkd/prune/importance.py", "def"),
])
def test_location_is_the_def_line(target, path, keyword):
    found, line = source_location(target)
    assert found == path
    name = target.rsplit(".", 1)[-1]
    assert re.match(rf"\s*{keyword} {name}\b", _line(path, line))


def test_a_decorated_property_points_past_its_decorator():
    path, line = source_location("stgkd.distill.losses.LSTCDLoss.teacher_share")
    assert _line(path, line - 1).strip() == "@property"
    assert _line(path, line).strip().startswith("def teacher_share(")


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="no 'nowhere'"):
        resolve("stgkd.distill.response.nowhere")
    with pytest.raises(ValueError, match="module"):
        resolve("nowhere_at_all.x")
    with pytest.raises(ValueError, match="function or class"):
        source_location("stgkd.registry.EXPERIMENTS")


def test_urls_with_and_without_a_repository():
    path, line = source_location("stgkd.distill.response.lord")
    assert code_url("stgkd.distill.response.lord", "https://example.org/me/stgkd/", "dev") == \
        f"https://example.org/me/stgkd/blob/dev/{path}#L{line}"
    # the built page book/_build/html/reading_the_paper.html is three folders down
    page_dir = REPOSITORY_ROOT / "book" / "_build" / "html"
    assert code_url("stgkd.distill.response.lord", page_dir=page_dir) == f"../../../{path}#L{line}"


def test_every_equation_row_of_reading_the_paper_links_to_code():
    text = (BOOK / "reading_the_paper.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line
            and not line.startswith("| Passage")]
    equation_rows = [row for row in rows if re.match(r"\| (Eqs?\.|Algorithm 1)", row)]
    assert len(equation_rows) >= 8
    for row in equation_rows:
        assert LINK.search(row), row[:60]
    for target in LINK.findall(text):
        path, line = source_location(target)
        assert re.match(r"\s*(def|class) ", _line(path, line)), target


def test_the_role_renders_a_link_in_a_sphinx_build(tmp_path):
    sphinx = pytest.importorskip("sphinx.application")
    pytest.importorskip("myst_parser")
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        "extensions = ['myst_parser', 'stgkd.report.code_links']\n"
        "html_theme_options = {}\n")
    (source / "index.md").write_text("# T\n\nSee {code-link}`stgkd.distill.response.lord`.\n")
    out = tmp_path / "out"
    app = sphinx.Sphinx(str(source), str(source), str(out), str(tmp_path / "doctrees"), "html",
                        status=None, warning=None, freshenv=True, warningiserror=True)
    app.build()
    html = (out / "index.html").read_text()
    path, line = source_location("stgkd.distill.response.lord")
    expected = Path(__import__("os").path.relpath(REPOSITORY_ROOT / path, out)).as_posix()
    assert f'href="{expected}#L{line}"' in html
    assert f"({path}, line {line})" in html
