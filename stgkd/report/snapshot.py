"""Every table the book and the README show, extracted for comparison: a change to the
code that should move no number (a refactor) is checked by extracting the tables before
and after and comparing them.

What is extracted, in order, from each executed notebook (``book/_generated/*.ipynb``):
HTML tables, Markdown tables and printed lines (stdout) of every cell output; then the
Markdown pages the notebooks generate (``book/_generated/*.md``) and the README's results
summary (generated from the same results). Styler's random element ids are replaced by a fixed one, so two executions of
the same code on the same results give the same snapshot.

Usage::

    python -m stgkd.report.snapshot extract book/_generated --readme -o before.json
    ... change the code, execute the notebooks again ...
    python -m stgkd.report.snapshot extract book/_generated --readme -o after.json
    python -m stgkd.report.snapshot compare before.json after.json
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from stgkd.io import write_json

# pandas' Styler names its elements T_<random>: the same table renders with other ids
_STYLER_ID = re.compile(r"T_[0-9a-f]{5}(?=[_\"\s])")
# a Markdown table: a header separator row such as |---|:--:|
_MARKDOWN_TABLE = re.compile(r"^\s*\|?\s*:?-{3,}", re.MULTILINE)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_tables(output: dict) -> list[tuple[str, str]]:
    """The tables of one notebook cell output, as ``(kind, text)`` pairs: ``html`` for an
    HTML table, ``markdown`` for a Markdown table, ``stdout`` for printed lines."""
    if output.get("output_type") == "stream":
        return [("stdout", _text(output.get("text", "")))] if output.get("name") == "stdout" \
            else []
    data = output.get("data", {})
    if "text/html" in data and "<table" in _text(data["text/html"]):
        return [("html", _STYLER_ID.sub("T_id", _text(data["text/html"])))]
    if "text/markdown" in data and _MARKDOWN_TABLE.search(_text(data["text/markdown"])):
        return [("markdown", _text(data["text/markdown"]))]
    return []


def notebook_tables(path: str | Path) -> list[dict]:
    """Every table of an executed notebook, in order: ``{"source", "kind", "text"}`` with
    ``source`` "<notebook> #<n>" (the n-th table of that notebook)."""
    path = Path(path)
    notebook = json.loads(path.read_text())
    found = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            for kind, text in output_tables(output):
                found.append({"source": f"{path.stem} #{len(found) + 1}", "kind": kind,
                              "text": text})
    return found


def extract(generated: str | Path, readme: bool = False) -> list[dict]:
    """The snapshot: every notebook's tables, the generated Markdown pages and, with
    ``readme``, the README's results summary as :func:`stgkd.readme.summary_markdown`
    writes it from the results store (``$STGKD_RESULTS``, else ``results/``).

    Raises:
        FileNotFoundError: ``generated`` holds no executed notebook.
    """
    generated = Path(generated)
    notebooks = sorted(p for p in generated.glob("*.ipynb") if not p.name.endswith(".src.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"{generated}: expected executed notebooks (*.ipynb; run "
                                f"`make notebooks`), found none")
    tables = [table for path in notebooks for table in notebook_tables(path)]
    tables += [{"source": page.name, "kind": "markdown", "text": page.read_text()}
               for page in sorted(generated.glob("*.md"))]
    if readme:
        from stgkd.readme import summary_markdown
        tables.append({"source": "README.md", "kind": "markdown", "text": summary_markdown()})
    return tables


def differences(before: list[dict], after: list[dict]) -> list[str]:
    """One line per table that is not byte-identical between two snapshots (missing,
    added or changed, with its first differing line)."""
    old = {t["source"]: t for t in before}
    new = {t["source"]: t for t in after}
    lines = [f"{s}: only before" for s in old if s not in new]
    lines += [f"{s}: only after" for s in new if s not in old]
    for source in old.keys() & new.keys():
        a, b = old[source]["text"], new[source]["text"]
        if a != b:
            pairs = zip(a.splitlines(), b.splitlines())
            first = next(((x, y) for x, y in pairs if x != y), ("(length)", "(length)"))
            lines.append(f"{source}: changed; before {first[0].strip()[:120]!r}, after "
                         f"{first[1].strip()[:120]!r}")
    return sorted(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stgkd.report.snapshot",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("extract", help="write the tables of executed notebooks")
    take.add_argument("generated", help="folder of executed notebooks (book/_generated)")
    take.add_argument("--readme", action="store_true",
                      help="also the README's results summary, from the results store")
    take.add_argument("-o", "--output", required=True, help="snapshot JSON to write")
    compare = commands.add_parser("compare", help="list the tables that differ; exit 1 if any")
    compare.add_argument("before")
    compare.add_argument("after")
    args = parser.parse_args(argv)
    if args.command == "extract":
        tables = extract(args.generated, args.readme)
        write_json(args.output, tables)
        print(f"{len(tables)} tables -> {args.output}")
        return 0
    found = differences(json.loads(Path(args.before).read_text()),
                        json.loads(Path(args.after).read_text()))
    print("\n".join(found) if found else "identical: every table is byte-identical")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
