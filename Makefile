# compact-nets: build the library, run every notebook headlessly, check that their plots render.
#   make            install check + build + execute all notebooks + plot check (outputs under build/)
#   make test       build + unit tests + notebooks in quick mode + plot check
#   make notebook NB=notebooks/00-introduction.ipynb
#   make kernel-check   show that Jupyter finds the project's tslab kernel (kernel-install: install it for your user)
#   make clean
# Needs Node >= 20 (npm ci done) and the Debian packages jupyter-nbconvert python3-nbclient jupyter-client chromium.

PYTHON ?= /usr/bin/python3
JUPYTER ?= /usr/bin/jupyter
NOTEBOOKS_DIR := notebooks
OUT := build/notebooks
QUICK_OUT := build/notebooks-quick
CELL_TIMEOUT ?= 600
NOTEBOOK_TIMEOUT ?= 3600
RUN_NOTEBOOKS := $(PYTHON) tools/run_notebooks.py --cell-timeout $(CELL_TIMEOUT) --notebook-timeout $(NOTEBOOK_TIMEOUT)
CHECK_PLOTS := node tools/check_plots.js
# Jupyter finds kernels/tslab through JUPYTER_PATH (the folder that holds kernels/); no install step.
export JUPYTER_PATH := $(CURDIR)$(if $(JUPYTER_PATH),:$(JUPYTER_PATH))
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: all install-check build unit-test notebooks notebooks-quick plots plots-quick test notebook kernel-check kernel-install clean reference

all: install-check build notebooks plots

install-check:
	@test -d node_modules/tslab -a -d node_modules/@tensorflow/tfjs || { echo "node_modules is missing or incomplete: run 'npm ci' first" >&2; exit 1; }
	@node -e 'const v = +process.versions.node.split(".")[0]; if (v < 20) { console.error("Node >= 20 needed, found " + process.version); process.exit(1); }'
	@$(PYTHON) -c 'import nbclient, nbconvert, jupyter_client' 2>/dev/null || { echo "Python Jupyter modules missing for $(PYTHON): sudo apt-get install jupyter-nbconvert python3-nbclient jupyter-client" >&2; exit 1; }
	@test -x /usr/bin/chromium || test -n "$$CHROMIUM" || { echo "chromium missing (plot check): sudo apt-get install chromium" >&2; exit 1; }

build:
	npx tsc -p tsconfig.json
	sh tools/build-native.sh

unit-test: build
	npx mocha 'dist/test/**/*.test.js'

notebooks: build
	$(RUN_NOTEBOOKS) --out $(OUT) $(NOTEBOOKS_DIR)

plots:
	$(CHECK_PLOTS) $(OUT)

notebooks-quick: build
	$(RUN_NOTEBOOKS) --quick --out $(QUICK_OUT) $(NOTEBOOKS_DIR)

plots-quick:
	$(CHECK_PLOTS) $(QUICK_OUT)

# README's test command: unit tests, notebooks in quick mode, plot check; ends with "N passed, N failed".
test: install-check
	bash tools/test-all.sh

# One notebook, full size: make notebook NB=notebooks/00-introduction.ipynb
notebook: build
	@test -n "$(NB)" || { echo "usage: make notebook NB=notebooks/<name>.ipynb" >&2; exit 2; }
	$(RUN_NOTEBOOKS) --out $(OUT) $(NB)
	$(CHECK_PLOTS) $(OUT)/$(basename $(notdir $(NB))).html

# The committed multi-seed reference results (results/reference.jsonl): trains only the runs the file lacks, resumes
# interrupted ones from their epoch checkpoints, appends each run as it finishes. Stop and restart at will.
# REFERENCE_JOBS worker processes (one native thread each); REFERENCE_ONLY=id1,id2 limits it to some entries.
REFERENCE_JOBS ?= 2
reference: build
	node bin/compact-nets.js reference --jobs $(REFERENCE_JOBS) $(if $(REFERENCE_ONLY),--only $(REFERENCE_ONLY))
	node bin/compact-nets.js reference --list

kernel-check:
	@$(JUPYTER) kernelspec list 2>/dev/null | grep -E '^\s+tslab\s+$(CURDIR)/kernels/tslab$$' || { echo "Jupyter does not list $(CURDIR)/kernels/tslab (JUPYTER_PATH=$$JUPYTER_PATH)" >&2; exit 1; }
	@echo "OK: kernel 'tslab' (display name: TypeScript (compact-nets)) found in $(CURDIR)/kernels/tslab"
	@echo "To use it from your own Jupyter / JupyterLab / VS Code, either"
	@echo "  export JUPYTER_PATH=$(CURDIR)    (before starting Jupyter), or"
	@echo "  make kernel-install    (installs a copy for your user that points back to this checkout)"

# Installs the kernelspec for the current user as "tslab" (the name notebook metadata uses).
# The copy records this checkout's path in repo-root, so its start script finds node_modules here.
kernel-install:
	@tmp=$$(mktemp -d) && chmod 755 "$$tmp" && cp kernels/tslab/kernel.json kernels/tslab/start-kernel.sh "$$tmp/" && echo "$(CURDIR)" > "$$tmp/repo-root" \
	  && $(JUPYTER) kernelspec install --user --name tslab "$$tmp" && rm -rf "$$tmp"

clean:
	rm -rf build dist
