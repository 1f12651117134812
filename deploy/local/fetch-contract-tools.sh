#!/usr/bin/env bash
# Installs the official AsyncAPI parser (npm, pinned by contracts/tools/package-lock.json)
# into the cache outside the repo; prints the directory holding validate-asyncapi.mjs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
src="$here/../../contracts/tools"
dest="$CONCORD_CACHE/contract-tools"
stamp="$(cat "$src/package-lock.json" "$src/validate-asyncapi.mjs" | sha256sum | cut -c1-16)"
if [ ! -f "$dest/.stamp-$stamp" ]; then
  rm -rf "$dest" && mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$src/validate-asyncapi.mjs" "$dest/"
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >&2)
  touch "$dest/.stamp-$stamp"
fi
echo "$dest"
