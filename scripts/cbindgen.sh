#!/bin/sh
# Generates the C header from the tutti-ffi crate with cbindgen 0.29.x into the file named by
# $1 (default include/tutti.h), installing cbindgen from crates.io first if it is missing or
# of another version. Run from the repository root.
set -eu
want="0.29"
out="${1:-include/tutti.h}"
cbindgen="${CBINDGEN:-cbindgen}"
version_ok() {
    "$1" --version 2>/dev/null | grep -q "^cbindgen $want\."
}
if ! version_ok "$cbindgen"; then
    cbindgen="${CARGO_HOME:-$HOME/.cargo}/bin/cbindgen"
    if ! version_ok "$cbindgen"; then
        echo "installing cbindgen $want.x (cargo install cbindgen --version ~$want --locked)" >&2
        "${CARGO:-cargo}" install cbindgen --version "~$want" --locked >&2
    fi
fi
version_ok "$cbindgen" || { echo "cbindgen $want.x is needed" >&2; exit 1; }
case "$out" in /*) ;; *) out="$(pwd)/$out" ;; esac
cd ffi
"$cbindgen" --quiet --config cbindgen.toml --output "$out"
