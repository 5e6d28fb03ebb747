#!/usr/bin/env python3
"""Generate a Ghost-like content/images tree: originals, _o originals and size/ variants with
sizes like real uploads (random bytes: incompressible, like JPEG/PNG/WebP).
Usage: gen_images.py OUT_DIR [FILES=2000] [SEED=1] [PROFILE=ghost]
Profiles:
  ghost  originals 150-900 KB and variants 30-150 KB (the 2026-11-23 tree)
  mixed  the ghost tree plus 5 originals of 9-24 MiB (multipart uploads), like the issue 19 tree
  large  FILES originals of 8-48 MiB (video posters, RAW exports, podcasts)
  small  FILES images of 2-60 KB (icons, thumbnails)"""
import os, random, sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
profile = sys.argv[4] if len(sys.argv) > 4 else "ghost"
MiB = 1 << 20


def chunk_write(p, size):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        left = size
        while left:
            k = min(left, 4 * MiB)
            f.write(rnd.randbytes(k))
            left -= k


made = 0
total = 0
i = 0
big = 5 if profile == "mixed" else 0
while made < n:
    y, m = 2020 + i % 6, 1 + (i // 6) % 12
    ext = rnd.choice(["jpg", "jpg", "jpg", "png", "webp"])
    base = f"images/{y}/{m:02d}/photo-{i}"
    if profile == "large":
        files = [(f"{base}.{ext}", rnd.randint(8 * MiB, 48 * MiB))]
    elif profile == "small":
        files = [(f"images/{y}/{m:02d}/icon-{i}.{ext}", rnd.randint(2_000, 60_000))]
    else:
        files = [(f"{base}.{ext}", rnd.randint(150_000, 700_000)),
                 (f"{base}_o.{ext}", rnd.randint(250_000, 900_000))]
        if big and i % 97 == 3:
            files[1] = (files[1][0], rnd.randint(9 * MiB, 24 * MiB))
            big -= 1
        for w in (600, 1000):
            files.append((f"images/size/w{w}/{y}/{m:02d}/photo-{i}.{ext}", rnd.randint(30_000, 150_000)))
    for rel, size in files:
        if made >= n:
            break
        chunk_write(os.path.join(out, rel), size)
        made += 1
        total += size
    i += 1
print(f"{made} files, {total / 1e6:.0f} MB in {out} ({profile})")
