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
# Three small fixes, applied to the module source (same semantics as MongoDB):
# 1. It creates its unique _id index on the expression _ferretdb_sjson->"_id" but filters
#    on _ferretdb_sjson->'$._id', so SQLite never uses the index: every update and delete
#    by _id scanned the whole collection (9 ms per update at 5,000 documents, growing
#    linearly). Filtering on the indexed expression makes them index lookups (~1 ms).
# 2. It narrows a query by _id only when _id is the filter's sole field; a filter such as
#    {_id: x, processed: {$ne: e}} (an idempotent update) scanned everything. Every caller
#    applies the whole filter again in Go after the query, so narrowing by _id whenever the
#    filter has a plain _id is safe. `explain` narrows the same way (its plan then shows the
#    index search that the query really makes; filterPushdown stays "the whole filter").
# 3. An update (and findAndModify) reads the document, changes it in Go and writes it back
#    in a separate step, so two concurrent updates of one document could undo each other,
#    and a conditional update could succeed twice. Serialising the writes of a collection
#    within the FerretDB process makes every single-document update atomic, as in MongoDB
#    (SQLite already admits one writer per database file at a time).
cat > "$work/internal/handler/concord_write_locks.go" <<'GO'
package handler

import "sync"

// collectionWriteLocks makes each update atomic: see deploy/local/build-ferretdb.sh (Concord).
var collectionWriteLocks sync.Map

func lockCollectionWrites(db, collection string) func() {
	m, _ := collectionWriteLocks.LoadOrStore(db+"."+collection, new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()

	return mu.Unlock
}
GO
python3 - "$work/internal" <<'PY'
import sys
root = sys.argv[1]
for relative, old, new in (
    ("handler/msg_update.go",
     "\tvar matched, modified int32\n\tvar upserted types.Array\n",
     "\tvar matched, modified int32\n\tvar upserted types.Array\n\n"
     "\tdefer lockCollectionWrites(params.DB, params.Collection)()\n"),
    ("handler/msg_findandmodify.go",
     "(*findAndModifyResult, error) {\n\tdb, err := h.b.Database(params.DB)\n",
     "(*findAndModifyResult, error) {\n"
     "\tdefer lockCollectionWrites(params.DB, params.Collection)()\n\n"
     "\tdb, err := h.b.Database(params.DB)\n"),
    ("backends/sqlite/metadata/metadata.go",
     "IDColumn = DefaultColumn + \"->'$._id'\"",
     "IDColumn = DefaultColumn + `->\"_id\"`"),
    ("backends/sqlite/collection.go",
     "\tif params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get(\"_id\")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\twhereClause",
     "\tif params.Filter.Len() >= 1 {\n\t\tv, _ := params.Filter.Get(\"_id\")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\twhereClause"),
    ("backends/sqlite/collection.go",
     "\tif params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get(\"_id\")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown = true",
     "\tif params.Filter.Len() >= 1 {\n\t\tv, _ := params.Filter.Get(\"_id\")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown = params.Filter.Len() == 1"),
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
