#!/usr/bin/env bash
# One-shot: the broker's TLS key and certificate, made on first start with the image's own
# keytool, so no key is ever committed. A throwaway CA signs the broker's certificate (names
# kafka, localhost, 127.0.0.1) and its private key is deleted at once: clients trust ca.pem,
# and nothing can sign another certificate. Later starts keep what is there.
#   /tls  (volume kafka-tls, the broker's only): kafka.p12, keystore-password
#   /ca   (volume kafka-ca, mounted read-only by every client): ca.pem
set -euo pipefail
tls="${TLS_DIR:-/tls}" ca="${CA_DIR:-/ca}" owner="${TLS_OWNER:-appuser}"
if [ -s "$tls/kafka.p12" ] && [ -s "$tls/keystore-password" ] && [ -s "$ca/ca.pem" ]; then
  echo "TLS material exists; keeping it"
  exit 0
fi
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pw="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
days=825
keytool -genkeypair -noprompt -alias ca -dname "CN=Concord compose CA" -keyalg RSA -keysize 3072 \
  -validity "$days" -ext bc:c -keystore "$work/ca.p12" -storetype PKCS12 -storepass "$pw"
keytool -exportcert -rfc -alias ca -keystore "$work/ca.p12" -storepass "$pw" -file "$work/ca.pem"
keytool -genkeypair -noprompt -alias kafka -dname "CN=kafka" -keyalg RSA -keysize 3072 \
  -validity "$days" -keystore "$work/kafka.p12" -storetype PKCS12 -storepass "$pw"
keytool -certreq -alias kafka -keystore "$work/kafka.p12" -storepass "$pw" -file "$work/kafka.csr"
keytool -gencert -rfc -alias ca -keystore "$work/ca.p12" -storepass "$pw" -validity "$days" \
  -ext "SAN=dns:kafka,dns:localhost,ip:127.0.0.1" -ext "KU=digitalSignature,keyEncipherment" \
  -ext "EKU=serverAuth" -infile "$work/kafka.csr" -outfile "$work/kafka.pem"
keytool -importcert -noprompt -alias ca -file "$work/ca.pem" -keystore "$work/kafka.p12" -storepass "$pw"
keytool -importcert -noprompt -alias kafka -file "$work/kafka.pem" -keystore "$work/kafka.p12" -storepass "$pw"
cp "$work/kafka.p12" "$tls/kafka.p12"
printf '%s' "$pw" > "$tls/keystore-password"
install -m 0644 "$work/ca.pem" "$ca/ca.pem"
# The broker runs as the image's appuser; the key stays readable by it alone.
chown -R "$owner" "$tls"
chmod 0700 "$tls"
chmod 0755 "$ca"
echo "TLS material made: broker certificate for kafka, localhost, 127.0.0.1"
