#!/usr/bin/env bash
# Local variant resizing: ghost-migrate's resizer against ImageMagick's `convert -resize` on the
# same files (the fixture's original uploads, `_o` files included), one image at a time on one
# thread each, to WIDTH (default 600). Prints images/s and the ratio. Needs ImageMagick
# (`apt-get install imagemagick`). Usage: bench/resize.sh [WIDTH] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
width="${1:-600}"
rounds="${2:-5}"
command -v /usr/bin/convert >/dev/null || { echo "install imagemagick" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tar xzf fixtures/ghost-5.130.6-content.tar.gz -C "$tmp" images
# Originals only (no size/ variants); the set repeated ROUNDS times for a measurable run.
mkdir -p "$tmp/set"
for r in $(seq 1 "$rounds"); do
  mkdir -p "$tmp/set/$r"
  find "$tmp/images" -path "$tmp/images/size" -prune -o -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' \) -print \
    | while read -r f; do cp "$f" "$tmp/set/$r/"; done
done
n=$(find "$tmp/set" -type f | wc -l)
mb=$(du -sm "$tmp/set" | cut -f1)
cargo build --release --example resize -q
ours=$(target/release/examples/resize "$tmp/set" "$width")
mkdir -p "$tmp/out"
start=$(date +%s.%N)
find "$tmp/set" -type f | sort | while read -r f; do
  MAGICK_THREAD_LIMIT=1 /usr/bin/convert "$f" -auto-orient -strip -filter Lanczos -resize "${width}x>" -quality 80 "$tmp/out/$(basename "$f")"
done
end=$(date +%s.%N)
im_s=$(echo "$end - $start" | bc -l)
ours_s=$(echo "$ours" | cut -f3)
echo "files: $n ($mb MB), width $width, load $(cut -d' ' -f1 /proc/loadavg)"
printf "ghost-migrate: %.2f s, %.1f images/s\n" "$ours_s" "$(echo "$n / $ours_s" | bc -l)"
printf "ImageMagick convert: %.2f s, %.1f images/s\n" "$im_s" "$(echo "$n / $im_s" | bc -l)"
printf "ratio (ghost-migrate images/s / ImageMagick images/s): %.2f\n" "$(echo "$im_s / $ours_s" | bc -l)"
