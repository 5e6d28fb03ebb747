#!/usr/bin/env bash
# Installs Ghost core 5.130.6 (the version of the bundled fixture) into DIR for the opt-in
# real-Ghost redirects test (GHOST_MIGRATE_TEST_GHOST_DIR=DIR). `npm install ghost@5.130.6` does
# not work outside Ghost's own tree (a file: dependency), so: npm pack, extract, drop the
# devDependencies (one is a GitHub tarball), install with --legacy-peer-deps (bookshelf's knex
# peer range). About 5 minutes on 2 cores; sqlite3 builds from source. Usage: install.sh DIR
set -euo pipefail
dir="${1:?usage: install.sh DIR}"
if [ -f "$dir/.installed" ]; then
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
npm pack ghost@5.130.6 --silent >/dev/null
tar xzf ghost-5.130.6.tgz --strip-components=1
rm ghost-5.130.6.tgz
node -e '
const fs = require("fs");
const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
delete p.devDependencies;
fs.writeFileSync("package.json", JSON.stringify(p, null, 2));
'
# node-gyp builds sqlite3 and re2 against Debian's node headers instead of downloading them.
if [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
npm install --omit=dev --legacy-peer-deps --no-audit --no-fund --loglevel=error
touch .installed
