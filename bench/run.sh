#!/usr/bin/env bash
# Rewrite at scale: ghost-migrate vs the raw SQL REPLACE floor, on the same generated database,
# measured in one run. Usage: bench/run.sh [SIZES...]   (default: 2000 10000)
# Needs: cargo, python3, sqlite3, the mariadb client and a MariaDB on 127.0.0.1:3306 (root).
# Prints a Markdown table; bench/RESULTS.md keeps the recorded runs.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-2000 10000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
RUNS=${RUNS:-3}
W=$(mktemp -d)
trap 'rm -rf "$W"; mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS gm_bench_src; DROP DATABASE IF EXISTS gm_bench" 2>/dev/null || true' EXIT
cargo build --release -q
BIN=target/release/ghost-migrate
SITE=http://127.0.0.1:2368
FROM=$SITE/content/images/
TO=https://cdn.example.com/content/images/
MY="mariadb -h127.0.0.1 -uroot"

# SQL floors: the seed runbook's three REPLACEs, and REPLACE of both stored spellings over the
# bulk URL columns (a fairer floor; still no boundary checks, no JSON escapes, no journal).
REPL3="UPDATE posts SET feature_image = REPLACE(feature_image, '$FROM', '$TO'), html = REPLACE(html, '$FROM', '$TO'), mobiledoc = REPLACE(mobiledoc, '$FROM', '$TO');"
r2() { echo "$1 = REPLACE(REPLACE($1, '$FROM', '$TO'), '__GHOST_URL__/content/images/', '$TO')"; }
REPLALL="UPDATE posts SET $(r2 feature_image), $(r2 html), $(r2 lexical), $(r2 mobiledoc), $(r2 plaintext), $(r2 codeinjection_head), $(r2 codeinjection_foot), $(r2 custom_excerpt); UPDATE post_revisions SET $(r2 lexical), $(r2 feature_image), $(r2 feature_image_caption); UPDATE posts_meta SET $(r2 og_image), $(r2 twitter_image), $(r2 feature_image_caption);"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure NAME SETUP_CMD CMD: runs SETUP (untimed) then CMD under /usr/bin/time, RUNS times.
measure() {
  local name=$1 setup=$2 cmd=$3 ts=() rss=() extra=""
  for _ in $(seq "$RUNS"); do
    eval "$setup"
    /usr/bin/time -f "%e %M" -o "$W/time" bash -c "$cmd" >"$W/out" 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
    read -r t m <"$W/time"; ts+=("$t"); rss+=("$m")
    if grep -q '"totals"' "$W/out"; then
      extra=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); t=r["totals"]; print(t["rows_changed"], t["occurrences"], r["timings"]["journal_ms"], r["timings"]["update_ms"])' "$W/out")
    fi
  done
  local tm; tm=$(printf '%s\n' "${ts[@]}" | median)
  local rm; rm=$(printf '%s\n' "${rss[@]}" | median)
  echo "$name $tm $rm $extra"
}

echo "| engine | posts | what | median s | ratio to all-columns REPLACE | peak RSS MB | rows changed | occurrences | journal s | updates s |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
  python3 bench/gen.py sqlite "$W/src.db" "$n"
  python3 bench/gen.py mysql "$W/gen.sql" "$n"
  $MY -e "DROP DATABASE IF EXISTS gm_bench_src; CREATE DATABASE gm_bench_src; DROP DATABASE IF EXISTS gm_bench; CREATE DATABASE gm_bench"
  $MY gm_bench_src <fixtures/ghost-5.130.6-mysql.sql
  $MY gm_bench_src <"$W/gen.sql"
  for engine in sqlite mariadb; do
    if [ $engine = sqlite ]; then
      setup="cp $W/src.db $W/b.db; rm -f $W/b.db-journal"
      sql() { echo "sqlite3 $W/b.db \"$1\""; }
      DB=$W/b.db
    else
      # A fresh copy of every table before each measured command (untimed).
      setup="$MY -e 'DROP DATABASE IF EXISTS gm_bench; CREATE DATABASE gm_bench'; $MY gm_bench <fixtures/ghost-5.130.6-mysql.sql; $MY gm_bench -e 'SET FOREIGN_KEY_CHECKS=0; DELETE FROM post_revisions; DELETE FROM posts; INSERT INTO posts SELECT * FROM gm_bench_src.posts; INSERT INTO post_revisions SELECT * FROM gm_bench_src.post_revisions'"
      sql() { echo "$MY gm_bench -e \"$1\""; }
      DB=mysql://root@127.0.0.1:3306/gm_bench
    fi
    results=()
    results+=("$(measure replace-3-columns "$setup" "$(sql "$REPL3")")")
    results+=("$(measure replace-all-columns "$setup" "$(sql "$REPLALL")")")
    results+=("$(measure ghost-migrate-dry-run "$setup" "$BIN rewrite --db $DB --site-url $SITE --from $FROM --to $TO --dry-run --json --samples 0")")
    results+=("$(measure ghost-migrate-apply "$setup" "$BIN rewrite --db $DB --site-url $SITE --from $FROM --to $TO --yes --json --samples 0")")
    floor=$(printf '%s\n' "${results[@]}" | awk '$1=="replace-all-columns"{print $2}')
    for r in "${results[@]}"; do
      # shellcheck disable=SC2086
      set -- $r
      printf '| %s | %s | %s | %s | %.2f | %.0f | %s | %s | %s | %s |\n' "$engine" "$n" "$1" "$2" \
        "$(echo "$2 / $floor" | bc -l)" "$(echo "$3 / 1024" | bc -l)" "${4:--}" "${5:--}" \
        "$( [ -n "${6:-}" ] && echo "scale=2; $6/1000" | bc || echo -)" "$( [ -n "${7:-}" ] && echo "scale=2; $7/1000" | bc || echo -)"
    done
  done
done
echo
echo "load average (1 min) at the end: $(cut -d' ' -f1 /proc/loadavg)"
