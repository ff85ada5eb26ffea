#!/usr/bin/env bash
# Builds the native CPU kernel library and runs its C tests. Called by the Maven build (kernels/pom.xml) when a
# C compiler exists; without one the build goes on and the cpu-native backend reports itself absent.
#   build.sh OUT_DIR [CC]   → OUT_DIR/libsparq_kernels.so and the test result
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
cc="${2:-gcc}"
mkdir -p "$out"
flags=(-O3 -fPIC -std=c11 -Wall -Wextra -Werror -fno-strict-aliasing -I"$here/include")
"$cc" "${flags[@]}" -shared -o "$out/libsparq_kernels.so" "$here"/src/*.c
"$cc" "${flags[@]}" -o "$out/test_gemm" "$here"/test/test_gemm.c "$here"/src/*.c
"$out/test_gemm"
