#!/bin/sh
# The C side of `make test`: header drift, lint of the ffi crate, every C example built as C11
# (static library) and as C++17 (shared library) with -Wall -Wextra -Werror and run under
# AddressSanitizer and UBSan, the multi-threaded runtime example under ThreadSanitizer, then
# `make install` into a scratch prefix and a program built only with
# `pkg-config --cflags --libs tutti`. Run from anywhere; exits non-zero on failure.
set -eu
cd "$(dirname "$0")/.."
CARGO="${CARGO:-cargo}"
CC="${CC:-cc}"
CXX="${CXX:-c++}"
MAKE="${MAKE:-make}"
target_dir="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d "${TMPDIR:-/tmp}/tutti-c-tests.XXXXXX")"
trap 'rm -rf "$work"' EXIT INT TERM

echo "== c-tests: header drift (include/tutti.h against cbindgen 0.29 output)"
scripts/cbindgen.sh "$work/tutti.h"
if ! diff -u include/tutti.h "$work/tutti.h"; then
    echo "include/tutti.h differs from the code: run \`make header\` and commit the result" >&2
    exit 1
fi

echo "== c-tests: fmt and clippy of tutti-ffi"
"$CARGO" fmt -p tutti-ffi -- --check
"$CARGO" clippy -p tutti-ffi --no-deps --all-targets -- -D warnings

echo "== c-tests: build libtutti (release)"
"$CARGO" build -p tutti-ffi --release
lib="$target_dir/release"
static_libs="-lpthread -ldl -lm -lrt -lutil"

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
warn="-Wall -Wextra -Werror"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export RUST_BACKTRACE=0

for src in examples/c/*.c; do
    name="$(basename "$src" .c)"
    out="$work/$name"
    mkdir -p "$out"
    echo "== c-tests: $name (C11, static, ASan+UBSan)"
    # shellcheck disable=SC2086
    "$CC" -std=c11 -pedantic $warn $san -Iinclude -o "$out/c" "$src" "$lib/libtutti.a" $static_libs
    "$out/c" "$out"
    echo "== c-tests: $name (C++17, shared, ASan+UBSan)"
    # shellcheck disable=SC2086
    "$CXX" -std=c++17 -x c++ $warn $san -Iinclude -o "$out/cxx" "$src" -x none -L"$lib" -ltutti
    LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$out/cxx" "$out"
done

echo "== c-tests: runtime_threads (C11, shared, ThreadSanitizer)"
"$CC" -std=c11 $warn -fsanitize=thread -g -O1 -Iinclude -o "$work/runtime_threads/tsan" \
    examples/c/runtime_threads.c -L"$lib" -ltutti -lpthread
TSAN_OPTIONS="suppressions=$(pwd)/scripts/tsan.supp halt_on_error=1" \
    LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/runtime_threads/tsan"

echo "== c-tests: make install PREFIX=$work/prefix, then build with pkg-config only"
"$MAKE" -s install PREFIX="$work/prefix" SKIP_BUILD=1 >/dev/null
for f in lib/libtutti.so lib/libtutti.a include/tutti.h lib/pkgconfig/tutti.pc; do
    test -f "$work/prefix/$f" || { echo "make install did not install $f" >&2; exit 1; }
done
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
mkdir -p "$work/pc"
cp examples/c/four_party.c examples/c/common.h "$work/pc/"
(
    cd "$work/pc"
    # shellcheck disable=SC2046
    cc four_party.c $(pkg-config --cflags --libs tutti) -o four_party
    LD_LIBRARY_PATH="$work/prefix/lib" ./four_party
)
echo "== c-tests: all passed"
