#!/bin/sh
# Builds the C benchmarks of bench/c against our kernels' sources (native/src, same flags as tools/build-native.sh):
#   dist/bench-c/probe          roofline probe: GEMM peak (ours, OpenBLAS, oneDNN's if installed) and memory
#                               bandwidth (bench/c/probe.c)
#   dist/bench-c/dnnl-compare   oneDNN vs our kernels (bench/c/dnnl-compare.c); only when oneDNN's headers are
#                               installed (Debian: apt-get install libdnnl-dev), else skipped with a note.
# Usage: sh bench/c/build.sh
set -e
cd "$(dirname "$0")/../.."
out=dist/bench-c
mkdir -p "$out/obj"
cc=${CC:-cc}
inc=$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")
flags="-O3 -march=native -ffp-contract=fast -fPIC -std=gnu11 -Wall -Wno-unused-function -pthread -I$inc -Inative/src"
# conv.c, depthwise.c and pooling.c are compiled inside bench/c/ours-*.c, which include them to reach their static kernels.
for f in native/src/*.c bench/c/ours-*.c; do
  case $(basename "$f") in conv.c|depthwise.c|pooling.c) continue ;; esac
  $cc $flags -c "$f" -o "$out/obj/$(basename "$f" .c).o"
done
# The kernels' N-API entry points reference Node's API, which a plain executable lacks; they are never called here, so
# each referenced napi_* symbol gets a stub that aborts.
{
  echo '#include <stdlib.h>'
  nm -u "$out"/obj/*.o | awk '$1 == "U" && $2 ~ /^napi_/ { print $2 }' | sort -u | sed 's/.*/void &(void) { abort(); }/'
} > "$out/napi-stubs.c"
$cc -O2 -c "$out/napi-stubs.c" -o "$out/napi-stubs.o"
if [ -f /usr/include/oneapi/dnnl/dnnl.h ]; then
  $cc $flags -fopenmp -DPROBE_DNNL bench/c/probe.c "$out"/obj/*.o "$out/napi-stubs.o" -o "$out/probe" -ldnnl -lm -ldl
  echo "built $out/probe (with oneDNN's sgemm)"
else
  $cc $flags bench/c/probe.c "$out"/obj/*.o "$out/napi-stubs.o" -o "$out/probe" -lm -ldl
  echo "built $out/probe (without oneDNN: apt-get install libdnnl-dev adds its sgemm)"
fi
if [ -f /usr/include/oneapi/dnnl/dnnl.h ]; then
  $cc $flags -fopenmp bench/c/dnnl-compare.c "$out"/obj/*.o "$out/napi-stubs.o" -o "$out/dnnl-compare" -ldnnl -lm -ldl
  echo "built $out/dnnl-compare"
else
  echo "dnnl-compare: not built (oneDNN headers missing; Debian: apt-get install libdnnl-dev)"
fi
