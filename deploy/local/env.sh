# Shared settings for the local stack scripts. Sourced, not executed.
# Everything downloaded or built is cached outside the repository.
CONCORD_CACHE="${CONCORD_CACHE:-$HOME/.cache/concord}"
CONCORD_STATE="${CONCORD_STATE:-$HOME/.local/state/concord}"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"
KAFKA_HOME="$CONCORD_CACHE/kafka-$KAFKA_VERSION"
# "-idfix": built with the _id index fix of build-ferretdb.sh.
FERRETDB_BIN="$CONCORD_CACHE/ferretdb-$FERRETDB_VERSION-concord4/ferretdb"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
MONGO_PORT="${MONGO_PORT:-27017}"
KAFKA_DATA="$CONCORD_STATE/kafka-data"
FERRETDB_DATA="$CONCORD_STATE/ferretdb-data"
LOG_DIR="$CONCORD_STATE/logs"
PID_DIR="$CONCORD_STATE/pids"
# The state folder holds data and secrets: its owner's only.
mkdir -p "$CONCORD_CACHE" "$KAFKA_DATA" "$FERRETDB_DATA" "$LOG_DIR" "$PID_DIR"
chmod 700 "$CONCORD_STATE" "$KAFKA_DATA" "$FERRETDB_DATA"
# One random secret per machine, from which every local Kafka principal's password is derived
# (concord_shared.kafka_access.local_password: HMAC-SHA256 of the principal's name).
KAFKA_SECRET_FILE="$CONCORD_STATE/kafka-secret"
if [ ! -s "$KAFKA_SECRET_FILE" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$KAFKA_SECRET_FILE")
fi
kafka_password() { # principal -> its local password
  python3 -c 'import hashlib, hmac, sys; print(hmac.new(open(sys.argv[1]).read().strip().encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$KAFKA_SECRET_FILE" "$1"
}
