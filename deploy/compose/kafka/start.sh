#!/usr/bin/env bash
# The broker's start in docker-compose.yml: the official image's own start-up
# (/etc/kafka/docker/run, which turns KAFKA_* variables into server.properties and formats the
# storage), after what it cannot do itself:
# - put the passwords into the listeners' JAAS settings from compose secrets (files), so no
#   password is written in docker-compose.yml or shown by `docker inspect`;
# - format the storage with the administrator's SCRAM credential (`--add-scram`): the image's
#   format step has no option for it, and without an administrator in the metadata nobody
#   could create the other principals. Its own format then finds the storage formatted.
# The CONCORD_* knobs exist so the script can be tried outside the image; KAFKA_* variables
# must not be used for them: the image turns every one into a broker property.
set -euo pipefail
secrets="${CONCORD_SECRETS:-/run/secrets}"
tls="${CONCORD_TLS:-/etc/kafka/tls}"
ca="${CONCORD_CA:-/etc/kafka/ca}"
bin="${CONCORD_KAFKA_BIN:-/opt/kafka/bin}"
# Log segments and metadata hold personal data: the broker's files are its own only.
umask 077

read_secret() { tr -d '\r\n' < "$1"; }
admin_pw="$(read_secret "$secrets/kafka_admin_password")"
controller_pw="$(read_secret "$secrets/kafka_controller_password")"
keystore_pw="$(read_secret "$tls/keystore-password")"
scram=org.apache.kafka.common.security.scram.ScramLoginModule
plain=org.apache.kafka.common.security.plain.PlainLoginModule
# As in deploy/local/kafka/server.properties.in: the broker logs in to its own INTERNAL
# listener as the administrator, and to its controller with the one PLAIN login.
export KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG="$scram required username=\"concord-admin\" password=\"$admin_pw\";"
export KAFKA_LISTENER_NAME_EXTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG="$scram required;"
export KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG="$plain required username=\"concord-controller\" password=\"$controller_pw\" user_concord-controller=\"$controller_pw\";"
export KAFKA_SSL_KEYSTORE_PASSWORD="$keystore_pw" KAFKA_SSL_KEY_PASSWORD="$keystore_pw"

# server.properties from the KAFKA_* variables, by the image's rule (kafka.docker.
# KafkaDockerWrapper): drop KAFKA_, lower case, "_" -> ".", "___" -> "-", "__" -> "_".
render_properties() {
  local name key
  while IFS= read -r name; do
    case "$name" in
      KAFKA_VERSION | KAFKA_HEAP_OPTS | KAFKA_LOG4J_OPTS | KAFKA_OPTS | KAFKA_JMX_OPTS | \
        KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_LOG4J_ROOT_LOGLEVEL | \
        KAFKA_LOG4J_LOGGERS | KAFKA_TOOLS_LOG4J_LOGLEVEL | KAFKA_JMX_HOSTNAME) continue ;;
    esac
    key="${name#KAFKA_}"
    key="${key,,}"
    key="${key//_/.}"
    key="${key//.../-}"
    key="${key//../_}"
    printf '%s=%s\n' "$key" "${!name}"
  done < <(compgen -e | grep '^KAFKA_')
}

data="${KAFKA_LOG_DIRS:-/var/lib/kafka/data}"
if [ ! -f "$data/meta.properties" ]; then
  conf="$(mktemp)"
  render_properties > "$conf"
  "$bin/kafka-storage.sh" format --cluster-id "$CLUSTER_ID" --config "$conf" \
    --add-scram "SCRAM-SHA-512=[name=concord-admin,password=$admin_pw]"
  rm -f "$conf"
fi

# The healthcheck's login (docker-compose.yml): the administrator, over TLS.
cat > /tmp/concord-admin.properties <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$scram required username="concord-admin" password="$admin_pw";
ssl.truststore.type=PEM
ssl.truststore.location=$ca/ca.pem
PROPS

exec "${CONCORD_KAFKA_RUN:-/etc/kafka/docker/run}"
