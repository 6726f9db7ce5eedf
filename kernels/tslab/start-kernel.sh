#!/bin/sh
# Starts the tslab TypeScript kernel for compact-nets; Jupyter passes the connection file as $1.
# It cds to the repository root so that notebooks can `import { ... } from "./dist/src"` whatever
# folder the notebook is in, and runs the tslab of the project's node_modules.
# The root is two folders up from this script (kernels/tslab/), or, for a copy installed by
# `make kernel-install` (~/.local/share/jupyter/kernels/...), the path stored next to it in repo-root.
set -e
here=$(cd "$(dirname "$0")" && pwd)
if [ -f "$here/repo-root" ]; then
  root=$(cat "$here/repo-root")
else
  root=$(cd "$here/../.." && pwd)
fi
if [ ! -f "$root/node_modules/tslab/bin/tslab" ]; then
  echo "compact-nets kernel: $root/node_modules/tslab is missing; run 'npm ci' in the compact-nets checkout ($root)." >&2
  exit 1
fi
cd "$root"
exec node --require "$root/tools/tslab-serial-send.js" node_modules/tslab/bin/tslab kernel --config-path "$1"
