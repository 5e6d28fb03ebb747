#!/usr/bin/env python3
"""Generate a synthetic Ghost database of N posts, deterministic from a seed.

Starts from the bundled real Ghost 5.130.6 database (its real schema: SQLite file or MariaDB dump)
and adds N posts with html 5-20 KB, a lexical document of similar size, 5-30 image URLs per post in
every stored form (__GHOST_URL__, absolute http/https, protocol-relative, root-relative,
JSON-escaped), Ghost's size variants, near-miss and unrelated hosts, ~10% posts with no URL, and 2
post_revisions per post (absolute URLs, as Ghost stores them).

usage: gen.py sqlite OUT.db N [SEED]      gen.py mysql OUT.sql N [SEED]  (INSERTs to load after the fixture dump)
"""
import json
import random
import shutil
import sqlite3
import sys
from pathlib import Path

FIX = Path(__file__).resolve().parent.parent / "fixtures"
SITE = "http://127.0.0.1:2368"
FORMS = [
    "__GHOST_URL__/content/images/",
    SITE + "/content/images/",
    "https://127.0.0.1:2368/content/images/",
    "//127.0.0.1:2368/content/images/",
    "/content/images/",
]
NEAR = [
    "http://127.0.0.1:2368.evil.net/content/images/",
    "http://127.0.0.1:23680/content/images/",
    SITE + "/content/images-archive/",
    "https://images.unsplash.com/photo-",
    SITE + "/content/media/",
]
WORDS = "ghost blog image cdn bucket migrate lorem ipsum dolor sit amet consectetur adipiscing elit".split()


def text(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def post(r, i):
    nurl = 0 if r.random() < 0.1 else r.randint(5, 30)
    target = r.randint(5_000, 20_000)
    html, children = [], []
    for k in range(nurl):
        base = r.choice(FORMS) if r.random() < 0.85 else r.choice(NEAR)
        size = r.choice(["", "", "size/w600/", "size/w1000/", "size/w600/format/webp/"])
        url = f"{base}{size}2024/{(k % 12) + 1:02d}/img-{i}-{k}.jpg"
        html.append(f'<p>{text(r, 30)}</p><figure class="kg-card kg-image-card"><img src="{url}" '
                    f'srcset="{url} 600w, {url} 1000w" alt="{text(r, 3)}"></figure>')
        children.append({"type": "image", "version": 1, "src": url, "caption": text(r, 5)})
        children.append({"children": [{"detail": 0, "format": 0, "mode": "normal", "style": "",
                                       "text": text(r, 40), "type": "extended-text", "version": 1}],
                         "direction": "ltr", "format": "", "indent": 0, "type": "paragraph", "version": 1})
    body = "".join(html)
    while len(body) < target:
        body += f"<p>{text(r, 60)}</p>"
        children.append({"children": [{"detail": 0, "format": 0, "mode": "normal", "style": "",
                                       "text": text(r, 60), "type": "extended-text", "version": 1}],
                         "direction": "ltr", "format": "", "indent": 0, "type": "paragraph", "version": 1})
    lexical = json.dumps({"root": {"children": children, "direction": "ltr", "format": "", "indent": 0,
                                   "type": "root", "version": 1}}, separators=(",", ":"))
    if r.random() < 0.2:  # some clients escape slashes
        lexical = lexical.replace("/", "\\/")
    feat = (r.choice(FORMS) + f"2024/01/feature-{i}.jpg") if nurl else None
    return body, lexical, feat


def rows(n, seed):
    r = random.Random(seed)
    for i in range(n):
        html, lexical, feat = post(r, i)
        pid = f"{0xb000000 + i:08x}" + "0" * 16
        yield pid, html, lexical, feat
    return


def post_row(pid, i, html, lexical, feat):
    return {
        "id": pid, "uuid": f"00000000-0000-4000-8000-{i:012d}", "title": f"Bench post {i}",
        "slug": f"bench-post-{i}", "lexical": lexical, "html": html, "plaintext": "",
        "feature_image": feat, "featured": 0, "type": "post", "status": "published",
        "visibility": "public", "email_recipient_filter": "all", "created_at": "2024-01-01 00:00:00",
        "created_by": "1", "updated_at": "2024-01-01 00:00:00", "updated_by": "1",
        "show_title_and_feature_image": 1,
    }


def rev_rows(pid, i, lexical, feat):
    site = SITE.replace("/", "\\/") if "\\/" in lexical else SITE
    abs_lex = lexical.replace("__GHOST_URL__", site)
    abs_feat = feat.replace("__GHOST_URL__", SITE) if feat else None
    for k in range(2):
        yield {"id": f"{0xc000000 + i:08x}{k:016x}", "post_id": pid, "lexical": abs_lex,
               "created_at_ts": 1704067200000 + k, "created_at": "2024-01-01 00:00:00",
               "author_id": "1", "title": f"Bench post {i}", "post_status": "published",
               "reason": "explicit_save", "feature_image": abs_feat}


def sql_lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'"


def main():
    kind, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 42
    if kind == "sqlite":
        shutil.copy(FIX / "ghost-5.130.6.sqlite.db", out)
        db = sqlite3.connect(out)
        for i, (pid, html, lexical, feat) in enumerate(rows(n, seed)):
            p = post_row(pid, i, html, lexical, feat)
            db.execute(f"INSERT INTO posts ({','.join(p)}) VALUES ({','.join('?' * len(p))})", list(p.values()))
            for rv in rev_rows(pid, i, lexical, feat):
                db.execute(f"INSERT INTO post_revisions ({','.join(rv)}) VALUES ({','.join('?' * len(rv))})",
                           list(rv.values()))
        db.commit()
        db.close()
    else:
        with open(out, "w") as f:
            f.write("SET FOREIGN_KEY_CHECKS=0;\n")
            for i, (pid, html, lexical, feat) in enumerate(rows(n, seed)):
                p = post_row(pid, i, html, lexical, feat)
                f.write(f"INSERT INTO posts ({','.join(p)}) VALUES ({','.join(sql_lit(v) for v in p.values())});\n")
                for rv in rev_rows(pid, i, lexical, feat):
                    f.write(f"INSERT INTO post_revisions ({','.join(rv)}) VALUES "
                            f"({','.join(sql_lit(v) for v in rv.values())});\n")


if __name__ == "__main__":
    main()
