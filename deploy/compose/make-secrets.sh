#!/usr/bin/env bash
# Writes deploy/compose/.env and deploy/compose/secrets/kafka-passwords.json with fresh
# random secrets (both ignored by git, mode 0600), unless they exist. Needs python3 and the
# registry (for the departments' principals). API keys are made for the roles compose needs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
umask 077
mkdir -p "$here/secrets"
[ -e "$here/.env" ] && { echo "$here/.env exists; not overwriting" >&2; exit 1; }
PYTHONPATH="$root/shared/src" "${PYTHON:-$root/.venv/bin/python}" - "$here" <<'PY'
import base64
import json, pathlib, re, secrets, sys

from concord_shared.kafka_access import principals
from concord_shared.registry import load_registry

here = pathlib.Path(sys.argv[1])
token = lambda: secrets.token_hex(32)
others = [p for p in principals(load_registry().department_codes())
          if p not in {f"concord-{s}" for s in ("intake", "routing", "mediation", "notification")}]
(here / "secrets" / "kafka-passwords.json").write_text(json.dumps({p: token() for p in others}, indent=2))
notifier = token()
citizen = token()  # the console's satisfaction form: mediation's integration key
# No console user yet: add them to secrets/console-users.yaml and their scopes' keys here.
(here / "secrets" / "console-users.yaml").write_text("users: []\n")
keys = {
    "CONCORD_INTAKE_API_KEYS": {notifier: {"role": "notifier", "holder": "notification service"}},
    "CONCORD_ROUTING_API_KEYS": {token(): {"role": "admin", "holder": "operator"}},
    "CONCORD_MEDIATION_API_KEYS": {
        token(): {"role": "supervisor", "holder": "operator"},
        citizen: {"role": "integration", "holder": "console: citizens' feedback"},
    },
    "CONCORD_CONSOLE_KEYS": {},
    "CONCORD_NOTIFICATION_API_KEYS": {token(): {"role": "operator"}},
}
lines = []
for line in (here / ".env.example").read_text().splitlines():
    name = line.split("=", 1)[0]
    if name in keys:
        line = f"{name}='{json.dumps(keys[name])}'"
    elif name == "CONCORD_DLQ_KEY":  # a Fernet key: 32 random bytes, url-safe base64
        line = f"{name}={base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"
    elif name == "CONCORD_NOTIFICATION_INTAKE_API_KEY":
        line = f"{name}={notifier}"
    elif name == "CONCORD_CONSOLE_CITIZEN_FEEDBACK_KEY":
        line = f"{name}={citizen}"
    elif re.search(r"=<random hex", line):
        line = f"{name}={token()}"
    lines.append(line)
(here / ".env").write_text("\n".join(lines) + "\n")
PY
echo "wrote $here/.env and $here/secrets/{kafka-passwords.json,console-users.yaml}; the API keys are in .env"
