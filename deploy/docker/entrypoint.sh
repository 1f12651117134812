#!/bin/sh
# The image's entry (Dockerfile): the service it was built for (CONCORD_SERVICE), listening on
# every interface at its port and logging JSON, unless the environment says otherwise. A
# command given to the container runs instead (the compose file's one-shot jobs).
set -eu
if [ "$#" -gt 0 ]; then exec "$@"; fi
prefix="CONCORD_$(printf %s "$CONCORD_SERVICE" | tr a-z A-Z)_"
eval ": \"\${${prefix}HTTP_HOST:=0.0.0.0}\" \"\${${prefix}HTTP_PORT:=$CONCORD_PORT}\" \"\${${prefix}LOG_FORMAT:=json}\""
export "${prefix}HTTP_HOST" "${prefix}HTTP_PORT" "${prefix}LOG_FORMAT"
exec "/app/.venv/bin/concord-$CONCORD_SERVICE"
