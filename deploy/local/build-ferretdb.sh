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
# Two small fixes to the SQLite backend, applied to the module source (same semantics):
# 1. It creates its unique _id index on the expression _ferretdb_sjson->"_id" but filters
#    on _ferretdb_sjson->'$._id', so SQLite never uses the index: every update and delete
#    by _id scanned the whole collection (9 ms per update at 5,000 documents, growing
#    linearly). Filtering on the indexed expression makes them index lookups (~1 ms).
# 2. It narrows a query by _id only when _id is the filter's sole field; a filter such as
#    {_id: x, processed: {$ne: e}} (an idempotent update) scanned everything. Every caller
#    applies the whole filter again in Go after the query, so narrowing by _id whenever the
#    filter has a plain _id is safe.
python3 - "$work/internal/backends/sqlite" <<'PY'
import sys
root = sys.argv[1]
for relative, old, new in (
    ("metadata/metadata.go",
     "IDColumn = DefaultColumn + \"->'$._id'\"",
     "IDColumn = DefaultColumn + `->\"_id\"`"),
    ("collection.go",
     "\tif params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get(\"_id\")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\twhereClause",
     "\tif params.Filter.Len() >= 1 {\n\t\tv, _ := params.Filter.Get(\"_id\")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\twhereClause"),
):
    path = f"{root}/{relative}"
    source = open(path).read()
    if source.count(old) != 1:
        sys.exit(f"build-ferretdb.sh: {relative} is not as expected; not patching")
    open(path, "w").write(source.replace(old, new))
PY
mkdir -p "$(dirname "$FERRETDB_BIN")"
(cd "$work" && CGO_ENABLED=0 go build -tags ferretdb_no_postgresql -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb)
mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
rm -rf "$work"
