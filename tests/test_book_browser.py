"""The built book as a reader sees it, in headless Chromium.

Every page of the table of contents is opened at a window width of 1400 px (and 1024 px
for the tables) inside a small measuring page, which reads the rendered page and writes
what it found into its own DOM for ``chromium --dump-dom``. Checked per page: it loads,
it shows no stderr output block and no ``NBVAL`` marker, no table is wider than its
container, and every image file exists and decodes.

Skipped when the book has not been built (``make book``) or no Chromium is installed.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)

pytestmark = [
    pytest.mark.skipif(not (HTML / "index.html").is_file(),
                       reason="book not built: run `make book` first (book/_build/html is absent)"),
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
]

# Runs inside the measuring page once the book page has loaded in its iframe.
MEASURE = r"""
function measure() {
  const frame = document.getElementById('page');
  const doc = frame.contentDocument;
  const result = {title: doc.title, tables: [], images: [], stderr: 0, nbval: false,
                  article: !!doc.querySelector('article')};
  const article = doc.querySelector('article') || doc.body;
  const articleRight = article.getBoundingClientRect().right;
  for (const table of doc.querySelectorAll('article table')) {
    if (table.getClientRects().length === 0) continue;        // hidden (a collapsed cell)
    const box = table.getBoundingClientRect();
    const parent = table.parentElement;
    result.tables.push({
      width: Math.round(box.width), right: Math.round(box.right),
      container: Math.round(parent.clientWidth), articleRight: Math.round(articleRight),
      scrolls: parent.scrollWidth > parent.clientWidth + 1,
      head: (table.innerText || '').slice(0, 80)});
  }
  for (const img of doc.querySelectorAll('img')) {
    result.images.push({src: img.getAttribute('src'), url: img.src,
                        ok: img.complete && img.naturalWidth > 0});
  }
  result.stderr = doc.querySelectorAll('.stderr, .output.stderr').length;
  result.nbval = /NBVAL/.test(doc.body.innerText);
  result.text = doc.body.innerText.length;
  const out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
}
"""


def toc_pages() -> list[str]:
    """The pages of ``_toc.yml`` (root first), as paths relative to the HTML folder
    (``index.html`` only redirects to the root page)."""
    toc = (ROOT / "_toc.yml").read_text()
    files = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)", toc, flags=re.M)
    return [f"{name}.html" for name in files]


def measure(page: str, width: int) -> dict:
    """Open ``page`` at ``width`` px in headless Chromium and return what MEASURE found."""
    url = (HTML / page).as_uri()
    wrapper = (f"<!doctype html><html><body style='margin:0'><script>{MEASURE}</script>"
               f"<iframe id='page' src='{html.escape(url)}' onload='measure()' "
               f"style='width:{width}px;height:2400px;border:0'></iframe></body></html>")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "measure.html"
        path.write_text(wrapper)
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--allow-file-access-from-files", f"--window-size={width + 20},2400",
             "--virtual-time-budget=15000", f"--user-data-dir={folder}/profile",
             "--dump-dom", path.as_uri()],
            capture_output=True, text=True, timeout=180)
    found = re.search(r"<pre id=\"measured\">(.*?)</pre>", done.stdout, flags=re.S)
    assert found, f"{page}: the page did not load in Chromium ({done.stderr[-500:]})"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def measured() -> dict:
    cache: dict = {}

    def get(page: str, width: int) -> dict:
        if (page, width) not in cache:
            cache[page, width] = measure(page, width)
        return cache[page, width]

    return get


def test_toc_lists_pages():
    pages = toc_pages()
    assert (HTML / "index.html").is_file() and len(pages) >= 10
    assert all((HTML / page).is_file() for page in pages), "a page of _toc.yml was not built"


@pytest.mark.parametrize("page", toc_pages())
def test_page_reads_cleanly(page, measured):
    found = measured(page, 1400)
    assert found["article"] and found["title"] and found["text"] > 200, f"{page}: empty page"
    assert found["stderr"] == 0, f"{page}: {found['stderr']} stderr output block(s)"
    assert not found["nbval"], f"{page}: NBVAL marker visible"
    for image in found["images"]:
        assert image["ok"], f"{page}: image {image['src']} did not load"
        parsed = urlparse(image["url"])
        if parsed.scheme == "file":
            assert Path(unquote(parsed.path)).is_file(), f"{page}: missing {image['src']}"


@pytest.mark.parametrize("width", [1400, 1024])
@pytest.mark.parametrize("page", toc_pages())
def test_tables_fit(page, width, measured):
    found = measured(page, width)
    too_wide = [t for t in found["tables"]
                if t["scrolls"] or t["width"] > t["container"] + 1
                or t["right"] > t["articleRight"] + 1]
    assert not too_wide, (f"{page} at {width} px: {len(too_wide)} table(s) wider than their "
                          f"container, e.g. {too_wide[0]}")


def test_no_local_paths_in_pages():
    """No output shows the absolute path of this checkout (a reader's copy lives elsewhere)."""
    for page in toc_pages():
        text = (HTML / page).read_text()
        assert str(ROOT) not in text, f"{page} shows the local path {ROOT}"
        assert os.path.expanduser("~") + "/" not in text or os.path.expanduser("~") == "/", page


def test_no_cut_table_cells():
    """No table shows pandas' cut marks: a cell ending in "..." (``display.max_colwidth``)
    or a row of "..." where rows were left out (``display.max_rows``)."""
    cut = re.compile(r"<t[dh][^>]*>[^<]*\.\.\.</t[dh]>")
    for page in toc_pages():
        found = cut.findall((HTML / page).read_text())
        assert not found, f"{page}: {len(found)} cut table cell(s), e.g. {found[0]}"
