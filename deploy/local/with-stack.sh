#!/usr/bin/env bash
# Run a command with the local broker and store up: start them if they are not running, run
# the command, and stop what this script started. Exits with the command's status.
# `make test` and `make bench` use it.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/env.sh"

started=()
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_open "$KAFKA_PORT" || started+=(kafka)
port_open "$MONGO_PORT" || started+=(store)
cleanup() {
  for part in "${started[@]}"; do "$here/stack.sh" "stop-$part"; done
}
trap cleanup EXIT
"$here/stack.sh" up || exit 1

cd "$root"
"$@"
