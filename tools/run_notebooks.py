#!/usr/bin/python3
"""Execute compact-nets notebooks headlessly, strictly, and export them to HTML.

usage: run_notebooks.py [--quick] [--cell-timeout S] [--notebook-timeout S] [--out DIR] NOTEBOOK...

A NOTEBOOK argument that is a directory means every *.ipynb in it, sorted by name.

Why not `jupyter nbconvert --execute`: the tslab kernel answers every request of the 200 ms after a
failing cell with status `abort`, which nbclient counts as success, so later cells silently come out
empty and the run passes. This runner executes cell by cell, treats `error` and `abort` replies and
error text on stderr as failures, stops the notebook at the first failure, and still writes what ran.

Outputs: DIR/<name>.ipynb (executed, with outputs and execution counts) and DIR/<name>.html
(nbconvert HTMLExporter), each written to a temporary file and renamed, so no partial file is left.
Exit status: 0 when every notebook passed, 1 when one failed, 2 for bad arguments or environment.
"""
import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEBIAN_PACKAGES = "jupyter-nbconvert python3-nbclient jupyter-client"
# Lines on stderr that mean a failure even when the cell's reply said "ok" (tslab prints
# asynchronous failures this way). Plain warnings (e.g. tfjs's "Hi there" hint) do not match.
STDERR_ERROR = re.compile(r"^\s*(UncaughtException|UnhandledPromiseRejection|unexpected error|[A-Za-z]*Error\b[:\s])", re.M)


class UsageFailure(Exception):
    """Bad arguments or environment: reported as one message, exit status 2."""


class NotebookFailure(Exception):
    """A notebook failed; the message names the notebook, the cell and the reason."""


def import_jupyter():
    """Imports the Jupyter libraries, or explains which Debian packages provide them."""
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from nbconvert import HTMLExporter
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError as err:
        raise UsageFailure(
            f"cannot import the Python module '{err.name}' ({err}).\n"
            f"  Install the Debian packages: sudo apt-get install {DEBIAN_PACKAGES}\n"
            f"  and run this script with /usr/bin/python3 (this is {sys.executable}; a pyenv/venv python does not see Debian's modules)."
        )
    return nbformat, NotebookClient, CellTimeoutError, DeadKernelError, HTMLExporter, KernelSpecManager, NoSuchKernel


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="notebook files or directories of notebooks")
    parser.add_argument("--quick", action="store_true", help="set COMPACT_NETS_QUICK=1 for the kernel (small, fast runs)")
    parser.add_argument("--cell-timeout", type=int, default=600, metavar="S", help="seconds one cell may run (default 600)")
    parser.add_argument("--notebook-timeout", type=int, default=1800, metavar="S", help="seconds one notebook may run (default 1800)")
    parser.add_argument("--out", default="build/notebooks", metavar="DIR", help="output folder (default build/notebooks)")
    args = parser.parse_args(argv)
    for name in ("cell_timeout", "notebook_timeout"):
        value = getattr(args, name)
        if not value > 0:
            raise UsageFailure(f"--{name.replace('_', '-')} must be a positive whole number of seconds, got {value}")
    return args


def expand_notebooks(paths):
    """Turns the arguments into notebook files; every path must exist."""
    notebooks = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageFailure(f"notebook path does not exist: {raw} (paths are relative to {Path.cwd()})")
        if path.is_dir():
            found = sorted(path.glob("*.ipynb"))
            if not found:
                raise UsageFailure(f"directory {raw} contains no *.ipynb notebooks")
            notebooks.extend(found)
        elif path.suffix != ".ipynb":
            raise UsageFailure(f"not a notebook (expected a .ipynb file or a directory): {raw}")
        else:
            notebooks.append(path)
    names = {}
    for nb_path in notebooks:
        other = names.setdefault(nb_path.name, nb_path)
        if other != nb_path:
            raise UsageFailure(f"two notebooks named {nb_path.name} ({other} and {nb_path}) would overwrite each other's outputs; run them separately")
    return notebooks


def write_atomic(path, text):
    """Writes text to path via a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def first_line(cell):
    """First non-empty line of a cell's source, shortened, for error messages."""
    for line in cell.source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "(empty cell)"


def cell_problem(cell, reply):
    """Returns why a finished cell counts as failed, or None when it passed."""
    stderr = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    status = (reply or {}).get("content", {}).get("status", "ok")
    detail = stderr.strip()
    if errors:
        detail = "\n".join(f"{e.get('ename', '')}: {e.get('evalue', '')}" for e in errors) + ("\n" + detail if detail else "")
    if status == "error":
        return detail or "the kernel reported an error without a message"
    if status == "abort":
        return "the kernel aborted the cell (tslab aborts requests just after a failure)" + (f": {detail}" if detail else "")
    if status != "ok":
        return f"unexpected reply status '{status}'" + (f": {detail}" if detail else "")
    if errors:
        return detail
    match = STDERR_ERROR.search(stderr)
    if match:
        return "error text on stderr: " + stderr[match.start():].strip()
    return None


def shorten(message, max_lines=10):
    """Puts the first error line (e.g. "Error: boom") first, then at most max_lines of context."""
    lines = message.strip().splitlines()
    headline = next((line.strip() for line in lines if STDERR_ERROR.match(line)), None)
    if headline is not None:
        lines = [headline, "details:"] + ["  " + line for line in lines]
    return "\n".join(lines[:max_lines] + ([f"... ({len(lines) - max_lines} more lines)"] if len(lines) > max_lines else []))


def run_notebook(nb_path, args, jupyter):
    """Executes one notebook, writes its outputs, and returns (cells run, failure message or None)."""
    nbformat, NotebookClient, CellTimeoutError, DeadKernelError, HTMLExporter, KernelSpecManager, NoSuchKernel = jupyter
    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception as err:  # nbformat raises several unrelated types for bad JSON
        raise NotebookFailure(f"{nb_path}: cannot read the notebook: {err}")
    kernel_name = nb.metadata.get("kernelspec", {}).get("name")
    if not kernel_name:
        raise NotebookFailure(f"{nb_path}: notebook metadata has no kernelspec name; set it to 'tslab' (kernels/tslab)")
    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        available = ", ".join(sorted(KernelSpecManager().find_kernel_specs())) or "(none)"
        raise NotebookFailure(
            f"{nb_path}: kernelspec '{kernel_name}' not found (available: {available}).\n"
            f"  Jupyter looks in the folders of JUPYTER_PATH (now {os.environ.get('JUPYTER_PATH', '')!r}); "
            f"this repository's kernel is {REPO_ROOT}/kernels/tslab, found with JUPYTER_PATH={REPO_ROOT}"
        )

    reply_of = {}
    client = NotebookClient(
        nb,
        timeout=args.cell_timeout,
        kernel_name=kernel_name,
        allow_errors=True,  # we judge each reply ourselves (nbclient would accept 'abort')
        interrupt_on_timeout=False,
        record_timing=True,
        resources={"metadata": {"path": str(REPO_ROOT)}},  # kernel cwd = repo root: ./dist/src/... imports work
        on_cell_executed=lambda cell, cell_index, execute_reply: reply_of.__setitem__(cell_index, execute_reply),
    )
    deadline = time.monotonic() + args.notebook_timeout
    failure = None
    cells_run = 0
    with client.setup_kernel():
        try:
            info = client.wait_for_reply(client.kc.kernel_info())
            nb.metadata["language_info"] = info["content"]["language_info"]
        except Exception:
            pass  # language_info only improves syntax highlighting in the HTML
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            remaining = deadline - time.monotonic()
            where = f"{nb_path}: cell {index + 1} ({first_line(cell)!r})"
            if remaining <= 0:
                failure = f"{where}: not started, the notebook exceeded --notebook-timeout {args.notebook_timeout:g} s"
                break
            client.timeout = max(1, int(min(args.cell_timeout, remaining)))
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                limit = "--cell-timeout" if args.cell_timeout <= remaining else "--notebook-timeout"
                failure = f"{where}: timed out after {client.timeout} s ({limit})"
                break
            except DeadKernelError as err:
                failure = f"{where}: the kernel died ({err})"
                break
            cells_run += 1
            reply = reply_of.get(index) or {}
            # tslab sends no execute_input message, so nbclient leaves the count empty: take it from the reply.
            if cell.get("execution_count") is None and reply.get("content", {}).get("execution_count") is not None:
                cell.execution_count = reply["content"]["execution_count"]
            problem = cell_problem(cell, reply)
            if problem is not None:
                failure = f"{where}: {shorten(problem)}"
                break

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / nb_path.name, nbformat.writes(nb))
    html, _ = HTMLExporter().from_notebook_node(nb)
    write_atomic(out_dir / (nb_path.stem + ".html"), html)
    return cells_run, failure


def main(argv):
    try:
        args = parse_args(argv)
        notebooks = expand_notebooks(args.notebooks)
        jupyter = import_jupyter()
    except UsageFailure as err:
        print(f"run_notebooks: {err}", file=sys.stderr)
        return 2
    # Let Jupyter find this repository's kernelspec (kernels/tslab) without any install step.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("JUPYTER_PATH", "")) if p)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # Quick mode is explicit: a COMPACT_NETS_QUICK left in the shell must not shorten a full run.
    if args.quick:
        os.environ["COMPACT_NETS_QUICK"] = "1"
    else:
        os.environ.pop("COMPACT_NETS_QUICK", None)

    failed = 0
    for nb_path in notebooks:
        start = time.monotonic()
        try:
            cells_run, failure = run_notebook(nb_path, args, jupyter)
        except NotebookFailure as err:
            cells_run, failure = 0, str(err)
        wall = time.monotonic() - start
        if failure is None:
            print(f"PASS {nb_path}  {cells_run} code cells  {wall:.1f} s  -> {Path(args.out) / nb_path.stem}.{{ipynb,html}}", flush=True)
        else:
            failed += 1
            print(f"FAIL {nb_path}  {wall:.1f} s", flush=True)
            print("  " + failure.replace("\n", "\n  "), flush=True)
    if failed:
        print(f"run_notebooks: {failed} of {len(notebooks)} notebook(s) failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
