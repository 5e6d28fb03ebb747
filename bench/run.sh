#!/usr/bin/env bash
# Rewrite at scale: ghost-migrate vs the raw SQL REPLACE floors and a dump-and-replace tool, on
# the same generated database, measured in one run.
#
# Usage: bench/run.sh [SIZES...]            (default: 10000 100000)
#   RUNS=3          timed runs per command (the median is reported)
#   ENGINES="sqlite mariadb"
#   GSR=/path/to/go-search-replace   also measure Automattic's go-search-replace
#                   (mysqldump | go-search-replace > file; mariadb < file), when given
#   GSR_SIZES="10000"   sizes at which GSR is measured (default: every size)
# Needs: cargo, python3, sqlite3, the mariadb client and mysqldump, a MariaDB on 127.0.0.1:3306
# (root, no password), ~20 GB of free disk per 100,000 posts (two copies of the data).
# Prints a Markdown table; bench/RESULTS.md keeps the recorded runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC2206
SIZES=(${@:-10000 100000})
RUNS=${RUNS:-3}
ENGINES=${ENGINES:-sqlite mariadb}
GSR=${GSR:-}
GSR_SIZES=${GSR_SIZES:-${SIZES[*]}}
W=$(mktemp -d -p "${BENCH_TMP:-/tmp}")
MY="mariadb -h127.0.0.1 -uroot"
cleanup() {
  rm -rf "$W"
  $MY -e "DROP DATABASE IF EXISTS gm_bench_src; DROP DATABASE IF EXISTS gm_bench" 2>/dev/null || true
}
trap cleanup EXIT
cargo build --release -q
BIN=$PWD/target/release/ghost-migrate
SITE=http://127.0.0.1:2368
FROM=$SITE/content/images/
TO=https://cdn.example.com/content/images/

# SQL floors: the seed runbook's three REPLACEs, and REPLACE of both stored spellings over the
# bulk URL columns (a fairer floor; still no boundary checks, no JSON escapes, no journal).
REPL3="UPDATE posts SET feature_image = REPLACE(feature_image, '$FROM', '$TO'), html = REPLACE(html, '$FROM', '$TO'), mobiledoc = REPLACE(mobiledoc, '$FROM', '$TO');"
r2() { echo "$1 = REPLACE(REPLACE($1, '$FROM', '$TO'), '__GHOST_URL__/content/images/', '$TO')"; }
REPLALL="UPDATE posts SET $(r2 feature_image), $(r2 html), $(r2 lexical), $(r2 mobiledoc), $(r2 plaintext), $(r2 codeinjection_head), $(r2 codeinjection_foot), $(r2 custom_excerpt); UPDATE post_revisions SET $(r2 lexical), $(r2 feature_image), $(r2 feature_image_caption); UPDATE posts_meta SET $(r2 og_image), $(r2 twitter_image), $(r2 feature_image_caption);"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure NAME CMD: RUNS times: reset the database (untimed), run CMD under /usr/bin/time with
# the 1-minute load average read just before. After the last run (untimed): rows differing
# from the source, and the old image URLs a ghost-migrate dry run still finds.
measure() {
  local name=$1 cmd=$2 ts=() rss=() loads=() extra="- - - -"
  for _ in $(seq "$RUNS"); do
    reset_db
    loads+=("$(cut -d' ' -f1 /proc/loadavg)")
    /usr/bin/time -f "%e %M" -o "$W/time" bash -c "set -o pipefail; $cmd" >"$W/out" 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
    read -r t m <"$W/time"; ts+=("$t"); rss+=("$m")
    if grep -q '"totals"' "$W/out"; then
      extra=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); t=r["totals"]; print(t["rows_changed"], t["occurrences"], r["timings"]["journal_ms"], r["timings"]["update_ms"])' "$W/out")
    fi
  done
  local diff left
  diff=$(python3 bench/rowsdiff.py "$ENGINE" "$DBNAME" "$SRC")
  left=$("$BIN" rewrite --db "$DB" --site-url "$SITE" --from "$FROM" --to "$TO" --dry-run --json --samples 0 \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["occurrences"])')
  echo "$name $(printf '%s\n' "${ts[@]}" | median) $(printf '%s\n' "${rss[@]}" | median) $diff $left $(printf '%s\n' "${loads[@]}" | sort -n | tail -1) $extra"
}

echo "| engine | posts | what | median s | ratio to all-columns REPLACE | peak RSS MB | rows changed | reported rows changed | old URLs left | load 1m | journal s | updates s |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
  for ENGINE in $ENGINES; do
    if [ "$ENGINE" = sqlite ]; then
      python3 bench/gen.py sqlite "$W/src.db" "$n"
      SRC=$W/src.db DB=$W/b.db DBNAME=$W/b.db
      reset_db() { cp "$W/src.db" "$W/b.db"; rm -f "$W/b.db-journal" "$W/b.db-wal" "$W/b.db-shm"; }
      sql() { echo "sqlite3 $W/b.db \"$1\""; }
      dump_replace() { echo "sqlite3 $W/b.db .dump | $GSR $FROM $TO __GHOST_URL__/content/images/ $TO | sqlite3 $W/b2.db && mv $W/b2.db $W/b.db"; }
    else
      python3 bench/gen.py mysql "$W/gen.sql" "$n"
      $MY -e "DROP DATABASE IF EXISTS gm_bench_src; CREATE DATABASE gm_bench_src"
      $MY gm_bench_src <fixtures/ghost-5.130.6-mysql.sql
      $MY gm_bench_src <"$W/gen.sql"
      rm -f "$W/gen.sql"
      SRC=gm_bench_src DB=mysql://root@127.0.0.1:3306/gm_bench DBNAME=gm_bench
      # A fresh server-side copy of every table before each measured command.
      reset_db() {
        local copy="SET FOREIGN_KEY_CHECKS=0;"
        for t in $($MY -N -e "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gm_bench_src'"); do
          copy+="CREATE TABLE gm_bench.\`$t\` LIKE gm_bench_src.\`$t\`; INSERT INTO gm_bench.\`$t\` SELECT * FROM gm_bench_src.\`$t\`;"
        done
        $MY -e "DROP DATABASE IF EXISTS gm_bench; CREATE DATABASE gm_bench; $copy"
      }
      sql() { echo "$MY gm_bench -e \"$1\""; }
      # Dump to a file first: loading while the dump still reads the same tables deadlocks.
      dump_replace() { echo "mysqldump -h127.0.0.1 -uroot --single-transaction gm_bench | $GSR $FROM $TO __GHOST_URL__/content/images/ $TO >$W/r.sql && $MY gm_bench <$W/r.sql && rm $W/r.sql"; }
    fi
    results=()
    results+=("$(measure replace-3-columns "$(sql "$REPL3")")")
    results+=("$(measure replace-all-columns "$(sql "$REPLALL")")")
    results+=("$(measure ghost-migrate-dry-run "$BIN rewrite --db $DB --site-url $SITE --from $FROM --to $TO --dry-run --json --samples 0")")
    results+=("$(measure ghost-migrate-apply "$BIN rewrite --db $DB --site-url $SITE --from $FROM --to $TO --yes --json --samples 0")")
    if [ "$ENGINE" = sqlite ]; then
      # The same apply in WAL mode with a second, reading connection (opt-in).
      results+=("$(measure ghost-migrate-apply-wal "GHOST_MIGRATE_SQLITE_WAL=1 $BIN rewrite --db $DB --site-url $SITE --from $FROM --to $TO --yes --json --samples 0")")
    fi
    if [ -n "$GSR" ] && [[ " $GSR_SIZES " == *" $n "* ]]; then
      results+=("$(measure go-search-replace-dump-reload "$(dump_replace)")")
    fi
    floor=$(printf '%s\n' "${results[@]}" | awk '$1=="replace-all-columns"{print $2}')
    for r in "${results[@]}"; do
      # shellcheck disable=SC2086
      set -- $r
      printf '| %s | %s | %s | %s | %.2f | %.0f | %s | %s | %s | %s | %s | %s |\n' "$ENGINE" "$n" "$1" "$2" \
        "$(echo "$2 / $floor" | bc -l)" "$(echo "$3 / 1024" | bc -l)" "$4" "$( [ "$7" != - ] && echo "$7" || echo -)" "$5" "$6" \
        "$( [ "${9:--}" != - ] && echo "scale=2; $9/1000" | bc || echo -)" "$( [ "${10:--}" != - ] && echo "scale=2; ${10}/1000" | bc || echo -)"
    done
    rm -f "$W/src.db" "$W/b.db"
  done
done
