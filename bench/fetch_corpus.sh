#!/usr/bin/env bash
# Fetch the benchmark corpus: public FastAPI code bases, each at a fixed commit.
# Usage: bash bench/fetch_corpus.sh [DEST]   (default: ./corpus; keep it outside the
# repository, and never commit it)
set -euo pipefail
dest="${1:-corpus}"
mkdir -p "$dest"

fetch() {  # NAME URL COMMIT
    local dir="$dest/$1"
    if [ -d "$dir/.git" ] && [ "$(git -C "$dir" rev-parse HEAD)" = "$3" ]; then
        return
    fi
    rm -rf "$dir"
    git init -q "$dir"
    git -C "$dir" fetch -q --depth 1 "$2" "$3"
    git -C "$dir" -c advice.detachedHead=false checkout -q FETCH_HEAD
    echo "$1 at $3"
}

fetch khoj https://github.com/khoj-ai/khoj ae229ca894c0b80ad84664afcfdde523b5e87057
fetch lnbits https://github.com/lnbits/lnbits 7d98c6b0808efab3edafc21310ec34d1c38c23df
fetch argilla-server https://github.com/argilla-io/argilla-server 6130c634506bc649a64d8461992946537ae287e1
fetch chroma https://github.com/chroma-core/chroma 93652ec0869489b803fe1682427fc02bd47bec14
fetch quivr https://github.com/QuivrHQ/quivr 4e96ad86cbc3f974ca82a273cb34d4b3c73c39fc
fetch onyx https://github.com/onyx-dot-app/onyx a7d66a8b778c3f9026c4f89dae47d14a3f84816f
