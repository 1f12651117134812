#!/bin/sh
# The `topics` job of docker-compose.yml: `concord-topics provision` as the broker's
# administrator. Its --passwords file is every principal's password: the operator's JSON file
# for departments, integrators, operators, subscribers and desks, plus the four services'
# passwords from the .env (the same values the services log in with, so they cannot drift).
set -eu
umask 077
secrets="${CONCORD_SECRETS:-/run/secrets}"
passwords="$(mktemp)"
trap 'rm -f "$passwords"' EXIT
python - "$secrets" > "$passwords" <<'PY'
import json, pathlib, sys

secrets = pathlib.Path(sys.argv[1])
given = json.loads((secrets / "kafka_passwords").read_text())
if not isinstance(given, dict):
    sys.exit("kafka_passwords: expected a JSON object of principal -> password")
for service in ("intake", "routing", "mediation", "notification"):
    given[f"concord-{service}"] = (secrets / f"kafka_{service}_password").read_text().strip()
json.dump(given, sys.stdout)
PY
CONCORD_KAFKA_SASL_PASSWORD="$(tr -d '\r\n' < "$secrets/kafka_admin_password")"
export CONCORD_KAFKA_SASL_PASSWORD
"${CONCORD_TOPICS:-.venv/bin/concord-topics}" provision --passwords "$passwords"
