#!/usr/bin/env bash
# The local infrastructure without Docker: Apache Kafka (KRaft, one node) and FerretDB (SQLite).
#   stack.sh up       fetch/build what is missing, start what is not running, wait until both answer
#   stack.sh down     stop both; no process is left behind
#   stack.sh status   what runs, where, and where its logs are
#   stack.sh start-kafka|stop-kafka|start-store|stop-store   one part only (used by fault tests)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

running() { # pidfile -> 0 if its process is alive
  local f="$PID_DIR/$1.pid"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name pidname seconds
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    if port_open "$1"; then return 0; fi
    if ! running "$3"; then echo "$2 exited during start-up; see $LOG_DIR/$3.log" >&2; tail -20 "$LOG_DIR/$3.log" >&2; return 1; fi
    sleep 0.1
  done
  echo "$2 did not answer on port $1 within $4 s; see $LOG_DIR/$3.log" >&2
  return 1
}

start_kafka() {
  if running kafka; then return 0; fi
  if port_open "$KAFKA_PORT"; then echo "port $KAFKA_PORT is taken by another process; not starting Kafka" >&2; return 1; fi
  "$here/fetch-kafka.sh"
  local conf="$CONCORD_STATE/kafka-server.properties" admin_pw controller_pw
  admin_pw="$(kafka_password concord-admin)"
  controller_pw="$(kafka_password concord-controller)"
  if [ -f "$KAFKA_DATA/meta.properties" ] && [ ! -f "$KAFKA_DATA/.concord-sasl" ]; then
    # Data of a broker from before SASL: its metadata has no administrator to log in as.
    echo "local Kafka data predates authentication; starting with an empty broker" >&2
    rm -rf "${KAFKA_DATA:?}"/* "${KAFKA_DATA:?}"/.[!.]*
  fi
  sed -e "s#@KAFKA_DATA@#$KAFKA_DATA#" -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
      -e "s#@KAFKA_CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@KAFKA_ADMIN_PASSWORD@#$admin_pw#" -e "s#@KAFKA_CONTROLLER_PASSWORD@#$controller_pw#g" \
      "$here/kafka/server.properties.in" > "$conf"
  chmod 600 "$conf"
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
                   "-Dlog4j2.configurationFile=$here/kafka/log4j2.properties")
  if [ ! -f "$KAFKA_DATA/meta.properties" ]; then
    # First start: format the storage once; later starts keep the data (restart tests rely on it).
    local cluster_id
    cluster_id="$(java -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    # The administrator's SCRAM credential goes into the metadata at format time: it is the
    # login that provisioning then creates every other principal with.
    java "${java_opts[@]}" -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool format --standalone \
      -t "$cluster_id" -c "$conf" --add-scram "SCRAM-SHA-512=[name=concord-admin,password=$admin_pw]" \
      >> "$LOG_DIR/kafka.log" 2>&1
    touch "$KAFKA_DATA/.concord-sasl"
  fi
  # umask 077: the broker's log segments hold personal data, its owner's only (older files too).
  (umask 077 && chmod -R go-rwx "$KAFKA_DATA" && exec setsid nohup java "${java_opts[@]}" -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$conf" \
    >> "$LOG_DIR/kafka.log" 2>&1 < /dev/null) &
  echo $! > "$PID_DIR/kafka.pid"
  wait_port "$KAFKA_PORT" Kafka kafka 90
}

# synchronous(normal) with FerretDB's write-ahead log: a commit is in the log before the write
# returns, so killing FerretDB (or anything else) loses nothing; only a power cut could lose
# the last commits, which MongoDB's journal covers in the production-like setup.
start_store() {
  "$here/build-ferretdb.sh"
  if running ferretdb; then
    # A store started from an earlier build (the patches changed) is restarted on this one.
    [ "$(readlink -f "/proc/$(cat "$PID_DIR/ferretdb.pid")/exe" 2>/dev/null)" = "$(readlink -f "$FERRETDB_BIN")" ] && return 0
    echo "FerretDB runs an earlier build; restarting it on $FERRETDB_BIN" >&2
    stop_one ferretdb 10
  fi
  if port_open "$MONGO_PORT"; then echo "port $MONGO_PORT is taken by another process; not starting FerretDB" >&2; return 1; fi
  # GOGC=400: the Go collector ran a tenth of the store's CPU under load (pprof); a larger
  # heap (tens of MB) buys that back.
  # umask 077: the SQLite files (and their -wal/-shm, which SQLite gives the database file's
  # mode) hold personal data, their owner's only; files from before are tightened too.
  (umask 077 && chmod -R go-rwx "$FERRETDB_DATA" && GOGC="${FERRETDB_GOGC:-400}" exec setsid nohup "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$FERRETDB_DATA/?_pragma=synchronous(normal)&_pragma=wal_autocheckpoint(10000)&_pragma=mmap_size(1073741824)" \
    --listen-addr="127.0.0.1:$MONGO_PORT" --state-dir="$CONCORD_STATE" --debug-addr="${FERRETDB_DEBUG_ADDR:--}" \
    --telemetry=disable --log-level="${FERRETDB_LOG_LEVEL:-warn}" \
    >> "$LOG_DIR/ferretdb.log" 2>&1 < /dev/null) &
  echo $! > "$PID_DIR/ferretdb.pid"
  wait_port "$MONGO_PORT" FerretDB ferretdb 30
}

stop_one() { # pidname seconds
  local f="$PID_DIR/$1.pid" pid i
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < $2 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

status() {
  local name port
  for name in kafka ferretdb; do
    if [ "$name" = kafka ]; then port=$KAFKA_PORT; else port=$MONGO_PORT; fi
    if running "$name"; then
      printf '%-9s running  pid %-7s 127.0.0.1:%-6s log %s\n' "$name" "$(cat "$PID_DIR/$name.pid")" "$port" "$LOG_DIR/$name.log"
    else
      printf '%-9s stopped                             log %s\n' "$name" "$LOG_DIR/$name.log"
    fi
  done
}

case "${1:-}" in
  up) start_store; start_kafka; status ;;
  down) stop_one kafka 30; stop_one ferretdb 10 ;;
  status) status ;;
  start-kafka) start_kafka ;;
  stop-kafka) stop_one kafka 30 ;;
  start-store) start_store ;;
  stop-store) stop_one ferretdb 10 ;;
  *) echo "usage: $0 up|down|status|start-kafka|stop-kafka|start-store|stop-store" >&2; exit 2 ;;
esac
