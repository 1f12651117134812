#!/usr/bin/env bash
# Builds FerretDB from its Go module source into the cache.
# A plain `go install ...@v1.24.2` panics at start: build/version/version.txt is generated
# upstream and not part of the module, so we copy the module source and write it ourselves.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
if [ -x "$FERRETDB_BIN" ]; then exit 0; fi
echo "building FerretDB $FERRETDB_VERSION from the Go module proxy into $(dirname "$FERRETDB_BIN") (first run only)"
src_dir="$(cd /tmp && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
work="$CONCORD_CACHE/ferretdb-src-$FERRETDB_VERSION"
rm -rf "$work"
cp -r "$src_dir" "$work"
chmod -R u+w "$work"
echo "$FERRETDB_VERSION" > "$work/build/version/version.txt"
mkdir -p "$(dirname "$FERRETDB_BIN")"
(cd "$work" && CGO_ENABLED=0 go build -tags ferretdb_no_postgresql -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb)
mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
rm -rf "$work"
