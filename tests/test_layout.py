"""The package's layout rules: no private name is used outside the module that defines it,
and the report facade exports what the notebooks use, once."""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted([*REPO.glob("stgkd/**/*.py"), *REPO.glob("notebooks/*.py"),
                  *REPO.glob("benchmarks/*.py")])


def private_uses(path: Path, root: Path = REPO) -> list[str]:
    """``from stgkd.x import _name`` and ``module._name`` (``module`` an imported stgkd
    module) in one file: private names reached across modules (named relative to ``root``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("stgkd"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(root)}:{node.lineno} imports "
                                 f"{node.module}.{alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("stgkd"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                and node.value.id in modules):
            found.append(f"{path.relative_to(root)}:{node.lineno} uses "
                         f"{node.value.id}.{node.attr}")
    return found


def test_the_private_use_finder_sees_both_forms(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("from stgkd.io import _atomic, read_json\nimport stgkd.io as io\n"
                      "from stgkd import baselines\nbaselines._ring(3)\nio.read_json\n")
    uses = [use.split(" ", 1)[1] for use in private_uses(source, tmp_path)]
    assert uses == ["imports stgkd.io._atomic", "uses baselines._ring"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_private_name_crosses_modules(path):
    assert private_uses(path) == []


def notebook_report_imports() -> set[str]:
    """Every name the notebooks import from the report package."""
    names = set()
    for path in REPO.glob("notebooks/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("stgkd.report"):
                assert node.module == "stgkd.report", (
                    f"{path.name}:{node.lineno} imports from {node.module}; notebooks use the "
                    f"stgkd.report facade")
                names |= {alias.name for alias in node.names}
    return names


def test_the_report_facade_exports_what_the_notebooks_use_once():
    import stgkd.report as report
    facade = ast.parse((REPO / "stgkd/report/__init__.py").read_text())
    imported = [alias.asname or alias.name for node in facade.body
                if isinstance(node, ast.ImportFrom) and node.module.startswith("stgkd.report")
                for alias in node.names]
    assert len(imported) == len(set(imported)), "a name is imported twice"
    assert set(report.__all__) == set(imported)
    assert set(report.__all__) == notebook_report_imports()


def test_architecture_names_every_module():
    """ARCHITECTURE.md gives every module of the package its sentence: a module added
    without one (or a removed one still described) fails here."""
    text = (REPO / "ARCHITECTURE.md").read_text()
    missing = []
    for path in sorted((REPO / "stgkd").rglob("*.py")):
        relative = path.relative_to(REPO)
        if path.name == "__init__.py":
            named = f"{relative.parent}/" in text
        else:
            # a module is named by its path, or by its name inside its package's sentence
            named = str(relative) in text or f"`{path.stem}`" in text
        if not named:
            missing.append(str(relative))
    assert missing == []
