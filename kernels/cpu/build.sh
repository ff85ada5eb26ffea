#!/usr/bin/env bash
# Builds the native CPU kernel library and runs its C tests, for this machine and, where Debian's cross compiler
# and qemu-user are installed, for aarch64 too (its tests then run under qemu). Called by the Maven build
# (kernels/pom.xml) when gcc exists; without it the build goes on and cpu-native reports itself absent.
#   build.sh OUT_ROOT   → OUT_ROOT/linux-<java os.arch>/libsparq_kernels.so (+ test results on stdout)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$1"
flags=(-O3 -fPIC -std=c11 -Wall -Wextra -Werror -fno-strict-aliasing -I"$here/include")
libs=(-lm)

tests=(test_gemm test_sgemm test_qsparse)

build() { # CC OUT_DIR [extra flags...] -> library and test binaries
  local cc="$1" out="$2"
  shift 2
  mkdir -p "$out"
  "$cc" "${flags[@]}" "$@" -shared -o "$out/libsparq_kernels.so" "$here"/src/*.c "${libs[@]}"
  for t in "${tests[@]}"; do
    "$cc" "${flags[@]}" "$@" -o "$out/$t" "$here/test/$t.c" "$here"/src/*.c "${libs[@]}"
  done
}

case "$(uname -m)" in
  x86_64) host=amd64 ;;
  aarch64) host=aarch64 ;;
  *) host="$(uname -m)" ;;
esac
build gcc "$root/linux-$host"
echo "kernels: linux-$host C tests"
for t in "${tests[@]}"; do "$root/linux-$host/$t"; done

if [ "$host" = amd64 ] && command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
  build aarch64-linux-gnu-gcc "$root/linux-aarch64" -march=armv8-a
  echo "kernels: linux-aarch64 C tests under qemu-user"
  for t in "${tests[@]}"; do qemu-aarch64 -L /usr/aarch64-linux-gnu "$root/linux-aarch64/$t"; done
else
  echo "kernels: aarch64 cross build skipped (needs gcc-aarch64-linux-gnu and qemu-user)"
fi
