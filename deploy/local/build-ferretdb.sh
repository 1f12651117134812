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
# Five small fixes, applied to the module source (same semantics as MongoDB):
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
# 4. A filter {_id: {$in: [...]}} read the whole collection; a listing that fetches the page's
#    cases by their ids in one query then cost as much as a scan of every case stored. It is
#    now narrowed to those ids (WHERE _id IN (...), an index search per id; up to 1,000 ids,
#    strings or ObjectIds), as MongoDB's _id index does; the filter is applied again in Go.
# 5. Every cursor and iterator was registered in a pprof profile with its stack captured
#    (leak tracking meant for debug builds): about a tenth of the store's CPU on a query by
#    _id, measured. Outside debug builds it now tracks nothing.
cat > "$work/internal/backends/sqlite/concord_id_in.go" <<'GO'
package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// concordIDIn narrows {_id: {$in: [...]}} to an index search: see deploy/local/build-ferretdb.sh.
func concordIDIn(filter *types.Document) (string, []any) {
	v, err := filter.Get("_id")
	if err != nil {
		return "", nil
	}

	cond, ok := v.(*types.Document)
	if !ok || cond.Len() != 1 {
		return "", nil
	}

	in, err := cond.Get("$in")
	if err != nil {
		return "", nil
	}

	values, ok := in.(*types.Array)
	if !ok || values.Len() > 1000 {
		return "", nil
	}

	if values.Len() == 0 {
		return ` WHERE 0`, nil
	}

	args := make([]any, 0, values.Len())

	for i := 0; i < values.Len(); i++ {
		e := must.NotFail(values.Get(i))
		switch e.(type) {
		case string, types.ObjectID:
			args = append(args, string(must.NotFail(sjson.MarshalSingleValue(e))))
		default:
			return "", nil
		}
	}

	return fmt.Sprintf(` WHERE %s IN (?%s)`, metadata.IDColumn, strings.Repeat(`, ?`, len(args)-1)), args
}
GO
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
    ("backends/sqlite/collection.go",
     "\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)\n",
     "\tif whereClause == \"\" && params.Filter != nil {\n"
     "\t\twhereClause, args = concordIDIn(params.Filter)\n\t}\n\n"
     "\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)\n"),
    ("backends/sqlite/collection.go",
     "\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown",
     "\tif whereClause == \"\" && params.Filter != nil {\n"
     "\t\twhereClause, args = concordIDIn(params.Filter)\n\t}\n\n"
     "\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown"),
    ("util/resource/resource.go",
     "func Track(obj any, token *Token) {\n\tcheckArgs(obj, token)\n",
     "func Track(obj any, token *Token) {\n\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n"
     "\tcheckArgs(obj, token)\n"),
    ("util/resource/resource.go",
     "func Untrack(obj any, token *Token) {\n\tcheckArgs(obj, token)\n",
     "func Untrack(obj any, token *Token) {\n\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n"
     "\tcheckArgs(obj, token)\n"),
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
