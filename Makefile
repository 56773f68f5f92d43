# Two entry points on a fresh machine: `make book` and `make test`. Each creates the
# virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch is installed on its own first: a plain `torch` requirement may resolve to a
# multi-gigabyte CUDA build. Override e.g. TORCH_SPEC="torch==2.13.0 --index-url ..."
TORCH_SPEC ?= torch==2.13.0
NOTEBOOKS := $(sort $(wildcard notebooks/*.py))
GENERATED := book/_generated
# Which stored results the notebooks show: best (full, else quick, else smoke) or one profile
PROFILE ?= best

.PHONY: venv test unit notebooks nbval book book-html browser screenshots readme benchmark clean

# papermill's injected parameters cell is plumbing: readers of the book do not see it
define HIDE_INJECTED
import json, sys
path = sys.argv[1]
notebook = json.load(open(path))
for cell in notebook["cells"]:
    tags = cell.get("metadata", {}).get("tags", [])
    if "injected-parameters" in tags and "remove-cell" not in tags:
        cell["metadata"]["tags"] = tags + ["remove-cell"]
json.dump(notebook, open(path, "w"), indent=1, ensure_ascii=False)
endef
export HIDE_INJECTED

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e ".[book,test,deploy]"
	touch $@

venv: $(VENV)/.installed

## make test: the whole test suite (unit tests, the executed notebooks under nbval, then
## the built book in headless Chromium; that test skips where no chromium is installed)
test: unit nbval browser

unit: venv
	$(PY) -m pytest tests --ignore=tests/test_book_browser.py

## make notebooks: execute every notebook with papermill into book/_generated/
notebooks: venv
	@mkdir -p $(GENERATED)
	@for nb in $(NOTEBOOKS); do \
		name=$$(basename $$nb .py); \
		params=$$(grep -q '^profile = ' $$nb && echo "-p profile $(PROFILE)"); \
		echo "executing $$nb"; \
		$(VENV)/bin/jupytext --quiet --to ipynb --output $(GENERATED)/$$name.src.ipynb $$nb || exit 1; \
		(cd notebooks && ../$(VENV)/bin/papermill --log-level WARNING --kernel python3 \
			$$params ../$(GENERATED)/$$name.src.ipynb ../$(GENERATED)/$$name.ipynb) || exit 1; \
		rm -f $(GENERATED)/$$name.src.ipynb; \
		$(PY) -c "$$HIDE_INJECTED" $(GENERATED)/$$name.ipynb || exit 1; \
	done

## make nbval: re-run the executed notebooks and compare the outputs tagged to be checked
nbval: notebooks
	$(PY) -m pytest --nbval-lax --nbval-sanitize-with book/nbval_sanitize.cfg -p no:cacheprovider $(GENERATED)

## make book: execute the notebooks and build the HTML book (warnings are errors)
book: notebooks
	$(VENV)/bin/jupyter-book build book/ -W --keep-going
	@echo "book: open book/_build/html/index.html"

# the HTML from the notebooks already executed in book/_generated/
book-html: venv
	$(VENV)/bin/jupyter-book build book/ -W --keep-going
	@echo "book: open book/_build/html/index.html"

## make browser: the built book in headless Chromium (every page of _toc.yml at 1400 and
## 1024 px); builds the HTML from the notebooks nbval executed
browser: nbval
	$(VENV)/bin/jupyter-book build book/ -W --keep-going
	$(PY) -m pytest tests/test_book_browser.py

## make screenshots: each page of the built book (_toc.yml) in headless Chromium at 1400 px
## wide, as book/_build/screenshots/<page>.png (after make book)
PAGES := intro $(shell sed -n 's/^ *- file: //p' _toc.yml)
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome)
screenshots:
	@test -n "$(CHROMIUM)" || (echo "screenshots: no chromium found (set CHROMIUM=...)"; exit 1)
	@test -f book/_build/html/intro.html || (echo "screenshots: build the book first (make book)"; exit 1)
	@mkdir -p book/_build/screenshots
	@for page in $(PAGES); do \
		out=book/_build/screenshots/$$(basename $$page).png; \
		"$(CHROMIUM)" --headless --no-sandbox --disable-gpu --hide-scrollbars \
			--window-size=1400,3000 --screenshot=$$out \
			file://$(CURDIR)/book/_build/html/$$page.html 2>/dev/null >/dev/null; \
		echo "$$out"; \
	done

## make readme: regenerate the README results summary from results/
readme: venv
	$(PY) -m stgkd.readme

## make benchmark: rollout and training speed of teacher and student, stored in results/benchmarks/
benchmark: venv
	$(PY) benchmarks/stgcn_speed.py

clean:
	rm -rf book/_build $(GENERATED)
