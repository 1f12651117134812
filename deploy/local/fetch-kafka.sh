#!/usr/bin/env bash
# Fetches the Apache Kafka broker jars (and a log4j2 backend) from Maven Central into the cache.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
if [ -f "$KAFKA_HOME/.complete" ]; then exit 0; fi
echo "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_HOME (first run only)"
mkdir -p "$KAFKA_HOME/libs"
mvn -q -B -Dstyle.color=never -f "$here/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs"
touch "$KAFKA_HOME/.complete"
