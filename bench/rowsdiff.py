#!/usr/bin/env python3
"""Rows that differ, byte for byte, between a benchmarked database and its untouched source.

The same count for every tool (ghost-migrate, SQL REPLACE, a dump-and-replace tool), computed
untimed after the measured command. Tables are matched by their `id` column; ghost-migrate's own
ghost_migrate_* tables are left out.

usage: rowsdiff.py sqlite DB SRC.db        rowsdiff.py mariadb DB SRC_DB   (client: mariadb -h127.0.0.1 -uroot)
"""
import sqlite3
import subprocess
import sys


def mariadb(sql):
    out = subprocess.run(["mariadb", "-h127.0.0.1", "-uroot", "-N", "-B", "-e", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def main():
    engine, db, src = sys.argv[1:4]
    total = 0
    if engine == "sqlite":
        c = sqlite3.connect(db)
        c.execute("ATTACH DATABASE ? AS src", (src,))
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            if t.startswith("ghost_migrate_") or t.startswith("sqlite_"):
                continue
            cols = [r[1] for r in c.execute(f'PRAGMA table_info("{t}")')]
            if "id" not in cols:
                continue
            same = " AND ".join(f'a."{x}" IS b."{x}"' for x in cols)
            total += c.execute(f'SELECT COUNT(*) FROM main."{t}" a LEFT JOIN src."{t}" b ON a.id = b.id '
                               f'WHERE b.id IS NULL OR NOT ({same})').fetchone()[0]
    else:
        cols = {}
        for t, col in mariadb(f"SELECT table_name, column_name FROM information_schema.columns "
                              f"WHERE table_schema = '{db}' ORDER BY table_name, ordinal_position"):
            cols.setdefault(t, []).append(col)
        for t, cs in cols.items():
            if t.startswith("ghost_migrate_") or "id" not in cs:
                continue
            same = " AND ".join(f"BINARY a.`{x}` <=> BINARY b.`{x}`" for x in cs)
            total += int(mariadb(f"SELECT COUNT(*) FROM `{db}`.`{t}` a LEFT JOIN `{src}`.`{t}` b "
                                 f"ON a.id = b.id WHERE b.id IS NULL OR NOT ({same})")[0][0])
    print(total)


if __name__ == "__main__":
    main()
