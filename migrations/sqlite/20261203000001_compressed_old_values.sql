-- Old values of 1 KiB and more are stored compressed, in MySQL's COMPRESS() format (4-byte
-- little-endian length, then a zlib stream), with old_value NULL: on MySQL
-- SELECT COALESCE(old_value, UNCOMPRESS(old_zlib)) reads them back without ghost-migrate.
ALTER TABLE ghost_migrate_changes ADD COLUMN old_zlib BLOB;
