#!/usr/bin/env python3
"""Generate a Ghost-like content/images tree: originals, _o originals and size/ variants with
sizes like real uploads (random bytes: incompressible, like JPEG/PNG/WebP).
Usage: gen_images.py OUT_DIR [FILES=2000] [SEED=1]"""
import os, random, sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
made = 0
total = 0
i = 0
while made < n:
    y, m = 2020 + i % 6, 1 + (i // 6) % 12
    ext = rnd.choice(["jpg", "jpg", "jpg", "png", "webp"])
    base = f"images/{y}/{m:02d}/photo-{i}"
    files = [(f"{base}.{ext}", rnd.randint(150_000, 700_000)),
             (f"{base}_o.{ext}", rnd.randint(250_000, 900_000))]
    for w in (600, 1000):
        files.append((f"images/size/w{w}/{y}/{m:02d}/photo-{i}.{ext}", rnd.randint(30_000, 150_000)))
    for rel, size in files:
        if made >= n:
            break
        p = os.path.join(out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(rnd.randbytes(size))
        made += 1
        total += size
    i += 1
print(f"{made} files, {total / 1e6:.0f} MB in {out}")
