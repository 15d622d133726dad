#!/usr/bin/env bash
# Back up the tracker: the PostgreSQL database as one pg_dump custom-format file, and the
# uploads folder (when there is one) as a tarball beside it. Prints the dump's path.
#
#   scripts/backup.sh [DATABASE_URL] [BACKUP_DIR]
#
# DATABASE_URL defaults to the environment's; BACKUP_DIR to $BACKUP_DIR, else ./backups.
# Uploads are taken from $UPLOADS_DIR, else $VAR_DIR/uploads, when that folder exists.
# The files hold everything about the families: keep them encrypted, owner-only, off this host.
set -euo pipefail

url="${1:-${DATABASE_URL:-}}"
out_dir="${2:-${BACKUP_DIR:-backups}}"
case "$url" in
  postgresql://*|postgres://*) ;;
  *) echo "backup.sh: give a postgresql:// DATABASE_URL (the SQLite file of 'make run' is copied, not dumped)" >&2
     exit 2 ;;
esac

umask 077
mkdir -p "$out_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dump="$out_dir/tracker-$stamp.dump"

# Custom format: compressed, and pg_restore can restore it into a fresh database.
# --no-owner/--no-privileges: the restore's role owns what it restores.
pg_dump --format=custom --no-owner --no-privileges --file="$dump.partial" "$url"
# A dump that pg_restore cannot list is no backup: check before it takes the real name.
pg_restore --list "$dump.partial" > /dev/null
mv "$dump.partial" "$dump"

uploads="${UPLOADS_DIR:-${VAR_DIR:-var}/uploads}"
if [ -d "$uploads" ]; then
  tar -C "$uploads" -czf "$out_dir/tracker-$stamp.uploads.tar.gz" .
fi
echo "$dump"
