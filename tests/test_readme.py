"""The README's results summary agrees with the stored results."""
from stgkd.readme import END, START, main, updated_readme


def test_readme_summary_matches_the_stored_results():
    assert main(["--check"]) == 0, "run `python -m stgkd.readme` after adding results"


def test_updated_readme_replaces_only_the_marked_block():
    text = f"intro\n{START}\nold\n{END}\noutro\n"
    assert updated_readme(text, "new") == f"intro\n{START}\nnew\n{END}\noutro\n"
