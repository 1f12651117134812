#!/usr/bin/env bash
# The chart's offline checks need Helm, kubeconform and schemas for every kind the chart
# renders. This builds Helm and kubeconform from the Go module proxy, takes Kubernetes' JSON
# schemas from PyPI (kubernetes-validate bundles them) and makes the schemas of the custom
# resources (KEDA, Strimzi, Percona) from the operators' own CRDs: KEDA's and Percona's from
# their Go modules, Strimzi's written by its CRD generator from Maven Central. All of it goes
# into the cache outside the repo; quick and silent once there. Prints the tools' folder:
#   <dir>/bin/helm, <dir>/bin/kubeconform,
#   <dir>/schemas/kubernetes/v<KUBERNETES_VERSION>-local-strict/<kind>-<group>-<version>.json,
#   <dir>/schemas/crds/<group>/<kind>_<version>.json
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
. "$repo/deploy/local/env.sh"
. "$here/tools/versions.env"
stamp="$(cat "$here/tools/versions.env" "$here/tools/strimzi-pom.xml" "$here/tools/schemas.py" | sha256sum | cut -c1-16)"
dest="$CONCORD_CACHE/helm-tools-$stamp"
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi

rm -rf "$CONCORD_CACHE"/helm-tools-* && mkdir -p "$dest/bin" "$dest/crd-sources" "$dest/schemas/crds"
log="$dest/fetch.log"
trap 'echo "fetch-tools.sh failed; see $log" >&2' ERR
{
  export GOFLAGS=-mod=mod GOBIN="$dest/bin"
  go install "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"

  uv="$(command -v uv || echo "$HOME/.local/bin/uv")"
  "$uv" pip install --quiet --no-deps --target "$dest/kubernetes-validate" \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  "$repo/.venv/bin/python" "$here/tools/schemas.py" kubernetes \
    "$dest/kubernetes-validate/kubernetes_validate/kubernetes-json-schema/v$KUBERNETES_VERSION-local-strict" \
    "$dest/schemas/kubernetes/v$KUBERNETES_VERSION-local-strict"
  rm -rf "$dest/kubernetes-validate"

  module_dir() { go mod download -json "$1" | "$repo/.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'; }
  keda="$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  cp "$keda/config/crd/bases/keda.sh_scaledobjects.yaml" \
    "$keda/config/crd/bases/keda.sh_triggerauthentications.yaml" "$dest/crd-sources/"
  psmdb="$(module_dir "github.com/percona/percona-server-mongodb-operator@$PSMDB_OPERATOR_VERSION")"
  cp "$psmdb/deploy/crd.yaml" "$dest/crd-sources/psmdb-crds.yaml"

  # Strimzi's generator is built for Java 21 or newer: the machine's second JDK if its first
  # is older.
  java=""
  for candidate in "${JAVA21_HOME:-}/bin/java" "$(command -v java)" /usr/lib/jvm/*/bin/java; do
    [ -x "$candidate" ] || continue
    major="$("$candidate" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [ "${major:-0}" -ge 21 ] 2>/dev/null; then java="$candidate"; break; fi
  done
  [ -n "$java" ] || { echo "Strimzi's CRD generator needs Java 21 or newer (set JAVA21_HOME)"; exit 1; }
  mvn -q -B -f "$here/tools/strimzi-pom.xml" -Dstrimzi.version="$STRIMZI_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$dest/strimzi-libs"
  "$java" -cp "$dest/strimzi-libs/*" io.strimzi.crdgenerator.CrdGenerator \
    --target-kube 1.16+ --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
    "io.strimzi.api.kafka.model.topic.KafkaTopic=$dest/crd-sources/strimzi-kafkatopic.yaml" \
    "io.strimzi.api.kafka.model.user.KafkaUser=$dest/crd-sources/strimzi-kafkauser.yaml"
  rm -rf "$dest/strimzi-libs"

  "$repo/.venv/bin/python" "$here/tools/schemas.py" crds "$dest/schemas/crds" "$dest"/crd-sources/*.yaml
} > "$log" 2>&1
touch "$dest/.complete"
echo "$dest"
