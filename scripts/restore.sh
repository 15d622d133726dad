#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a PostgreSQL database, then print each
# table's row count so they can be compared with the source.
#
#   scripts/restore.sh [--replace] DUMP_FILE [DATABASE_URL]
#
# The target must be an empty database (createdb it first). With --replace the target
# database is dropped and created again first: everything in it is lost. Run migrations
# (`tracker migrate`) only after a restore, never before: the dump carries the schema and the
# migration history. Uploads: a tracker-*.uploads.tar.gz beside the dump is unpacked into
# $UPLOADS_DIR, else $VAR_DIR/uploads.
set -euo pipefail

replace=0
if [ "${1:-}" = "--replace" ]; then replace=1; shift; fi
dump="${1:?usage: restore.sh [--replace] DUMP_FILE [DATABASE_URL]}"
url="${2:-${DATABASE_URL:-}}"
case "$url" in
  postgresql://*|postgres://*) ;;
  *) echo "restore.sh: give a postgresql:// DATABASE_URL to restore into" >&2; exit 2 ;;
esac
[ -r "$dump" ] || { echo "restore.sh: cannot read $dump" >&2; exit 2; }
pg_restore --list "$dump" > /dev/null

# postgresql://user@host:port/dbname?options -> the database name, and the same server's
# maintenance database for DROP/CREATE.
base="${url%%\?*}"
query=""
[ "$base" != "$url" ] && query="?${url#*\?}"
db="${base##*/}"
server="${base%/*}"
if ! [[ "$db" =~ ^[A-Za-z0-9_]+$ ]]; then
  echo "restore.sh: database name '$db' must be letters, digits and underscores" >&2; exit 2
fi

if [ "$replace" = 1 ]; then
  psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 "$server/postgres$query" \
    -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\""
fi

tables="$(psql --no-psqlrc -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" "$url")"
if [ "$tables" != "0" ]; then
  echo "restore.sh: $db already has $tables tables; restore into an empty database (or pass --replace)" >&2
  exit 3
fi

# One transaction: a restore that fails half-way leaves the database empty, not half full.
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$url" "$dump"

uploads_tar="${dump%.dump}.uploads.tar.gz"
if [ -f "$uploads_tar" ]; then
  uploads="${UPLOADS_DIR:-${VAR_DIR:-var}/uploads}"
  mkdir -p "$uploads"
  tar -C "$uploads" -xzf "$uploads_tar"
fi

# Row counts, one "table count" line each, to compare with the source database.
psql --no-psqlrc -tA -F ' ' "$url" <<'SQL'
SELECT format('SELECT %L, count(*) FROM %I', tablename, tablename)
FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
\gexec
SQL
