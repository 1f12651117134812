#!/usr/bin/env bash
# `make test`: the whole suite on the local broker and store (started if need be, and stopped
# again if this started them). Arguments go to pytest.
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/with-stack.sh" .venv/bin/pytest "$@"
