#!/usr/bin/env bash
# The four Concord services and the console as background processes on this machine.
#   services.sh start    start those not running; wait until each is ready (/ready answers 200)
#   services.sh stop     stop all of them; no process is left behind
#   services.sh status   what runs, on which port, and where its log is
# Settings come from the environment (CONCORD_<SERVICE>_*), see README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/env.sh"
SERVICES=(intake routing mediation notification console)
# The console reads no Kafka: it works through the four services' HTTP APIs.
KAFKA_SERVICES=(intake routing mediation notification)

# Development defaults, for variables the caller has not set.
while IFS='=' read -r name value; do
  [[ "$name" =~ ^[A-Z_]+$ ]] || continue
  [ -n "${!name:-}" ] || export "$name=$(eval "printf '%s' $value")"
done < "$here/dev.env"

# Each service logs in to the local broker as its own principal (see kafka/server.properties.in).
for s in "${KAFKA_SERVICES[@]}"; do
  prefix="CONCORD_${s^^}_"
  user="${prefix}KAFKA_SASL_USERNAME"
  if [ -z "${!user:-}" ]; then
    export "${prefix}KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT" "$user=concord-$s" \
      "${prefix}KAFKA_SASL_PASSWORD=$(kafka_password "concord-$s")"
  fi
done

port_of() {
  local var="CONCORD_${1^^}_HTTP_PORT"
  case "$1" in
    intake) echo "${!var:-8001}" ;; routing) echo "${!var:-8002}" ;;
    mediation) echo "${!var:-8003}" ;; notification) echo "${!var:-8004}" ;;
    console) echo "${!var:-8000}" ;;
  esac
}

running() { [ -f "$PID_DIR/$1.pid" ] && kill -0 "$(cat "$PID_DIR/$1.pid")" 2>/dev/null; }

start() {
  local s
  for s in "${SERVICES[@]}"; do
    running "$s" && continue
    setsid nohup "$root/.venv/bin/concord-$s" >> "$LOG_DIR/$s.log" 2>&1 < /dev/null &
    echo $! > "$PID_DIR/$s.pid"
  done
  for s in "${SERVICES[@]}"; do
    local port i
    port="$(port_of "$s")"
    for ((i = 0; i < 300; i++)); do
      if curl -fs -o /dev/null "http://127.0.0.1:$port/ready"; then break; fi
      if ! running "$s"; then echo "$s exited during start-up; see $LOG_DIR/$s.log" >&2; tail -20 "$LOG_DIR/$s.log" >&2; return 1; fi
      sleep 0.1
    done
    if ((i == 300)); then echo "$s not ready after 30 s; see $LOG_DIR/$s.log" >&2; return 1; fi
  done
}

stop() {
  local s pid i
  for s in "${SERVICES[@]}"; do
    [ -f "$PID_DIR/$s.pid" ] || continue
    pid="$(cat "$PID_DIR/$s.pid")"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PID_DIR/$s.pid"
  done
}

status() {
  local s
  for s in "${SERVICES[@]}"; do
    if running "$s"; then
      printf '%-13s running  pid %-7s http://127.0.0.1:%-5s log %s\n' "$s" "$(cat "$PID_DIR/$s.pid")" "$(port_of "$s")" "$LOG_DIR/$s.log"
    else
      printf '%-13s stopped                                 log %s\n' "$s" "$LOG_DIR/$s.log"
    fi
  done
}

case "${1:-}" in
  start) start; status ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
