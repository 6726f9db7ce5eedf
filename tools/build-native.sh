#!/bin/sh
# Builds the optional native kernels (native/src/*.c → dist/native/compact_nets.node) with the system C compiler.
# Never fails the install: without a compiler or Node's headers it says so and the library runs on wasm kernels alone.
# Set COMPACT_NETS_NATIVE_BUILD=0 to skip; CC picks the compiler (default: cc, then clang, then gcc).
cd "$(dirname "$0")/.." || exit 0
out=dist/native/compact_nets.node
if [ "${COMPACT_NETS_NATIVE_BUILD:-1}" = "0" ]; then echo "native kernels: build skipped (COMPACT_NETS_NATIVE_BUILD=0)"; exit 0; fi
# The install must not fail on a typo, but must not hide it either (the CLI refuses such a value outright).
case "${COMPACT_NETS_NATIVE_BUILD:-1}" in 0|1) ;; *) echo "native kernels: COMPACT_NETS_NATIVE_BUILD=\"$COMPACT_NETS_NATIVE_BUILD\" is neither 0 (skip) nor 1 (build); building — set it to 0 or 1" >&2 ;; esac
cc=${CC:-}
if [ -z "$cc" ]; then for c in cc clang gcc; do if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi; done; fi
if [ -z "$cc" ]; then
  echo "native kernels: not built (no C compiler found: install clang or gcc, then run 'npm run build'); training uses the wasm kernels"
  exit 0
fi
inc=$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")
if [ ! -f "$inc/node_api.h" ]; then
  echo "native kernels: not built (Node's headers are missing: $inc/node_api.h; on Debian: apt-get install nodejs); training uses the wasm kernels"
  exit 0
fi
case "$(uname -s)" in Darwin) link="-bundle -undefined dynamic_lookup" ;; *) link="-shared" ;; esac
mkdir -p dist/native
tmp="$out.tmp.$$"
# -march=native: the addon is built on the machine that runs it (at install time).
if $cc -O3 -march=native -ffp-contract=fast -fPIC -std=gnu11 -Wall -Wno-unused-function -pthread -I"$inc" \
     native/src/*.c $link -o "$tmp" -lm -ldl 2> dist/native/build.log; then
  mv -f "$tmp" "$out"
  echo "native kernels: built $out with $cc"
else
  rm -f "$tmp"
  echo "native kernels: build failed (see dist/native/build.log); training uses the wasm kernels"
  tail -20 dist/native/build.log
fi
exit 0
