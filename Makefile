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
# Which stored results the notebooks show: best (paper, else quick, else smoke) or one profile
PROFILE ?= best

.PHONY: venv test unit notebooks nbval book readme benchmark clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e ".[book,test,deploy]"
	touch $@

venv: $(VENV)/.installed

## make test: the whole test suite (unit tests, then the executed notebooks under nbval)
test: unit nbval

unit: venv
	$(PY) -m pytest tests

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
	done

## make nbval: re-run the executed notebooks and compare the outputs tagged to be checked
nbval: notebooks
	$(PY) -m pytest --nbval-lax --nbval-sanitize-with book/nbval_sanitize.cfg -p no:cacheprovider $(GENERATED)

## make book: execute the notebooks and build the HTML book (warnings are errors)
book: notebooks
	$(VENV)/bin/jupyter-book build book/ -W --keep-going
	@echo "book: open book/_build/html/index.html"

## make readme: regenerate the README results summary from results/
readme: venv
	$(PY) -m stgkd.readme

## make benchmark: rollout and training speed of teacher and student, stored in results/benchmarks/
benchmark: venv
	$(PY) benchmarks/stgcn_speed.py

clean:
	rm -rf book/_build $(GENERATED)
