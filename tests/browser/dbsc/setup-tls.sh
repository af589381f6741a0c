#!/usr/bin/env bash
# Makes a self-signed certificate for localhost and an NSS database (in $DIR/home/.pki/nssdb)
# in which Chromium trusts it. Usage: setup-tls.sh DIR
set -euo pipefail
DIR="${1:?usage: setup-tls.sh DIR}"
mkdir -p "$DIR/home/.pki/nssdb"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$DIR/key.pem" -out "$DIR/cert.pem" -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "extendedKeyUsage=serverAuth" 2>/dev/null
certutil -d "sql:$DIR/home/.pki/nssdb" -N --empty-password
certutil -d "sql:$DIR/home/.pki/nssdb" -A -t "P,," -n localhost-test -i "$DIR/cert.pem"
certutil -d "sql:$DIR/home/.pki/nssdb" -L
