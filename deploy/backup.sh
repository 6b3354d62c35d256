#!/bin/sh
# A consistent, compressed dump of the database; keeps BACKUP_KEEP_DAYS of them.
# Run nightly by trainers-backup.timer, and by hand before every upgrade.
# Reads DATABASE_URL (as the app does) and, for its password, PGPASSFILE.
set -eu
dir=${BACKUP_DIR:-/var/backups/trainers}
keep=${BACKUP_KEEP_DAYS:-35}
# pg_dump takes a libpq URL: the app's without SQLAlchemy's "+psycopg".
url=$(printf '%s' "$DATABASE_URL" | sed 's/+psycopg//')
out="$dir/trainers-$(date -u +%Y-%m-%dT%H%M%S).dump"
pg_dump --format=custom --no-owner --no-privileges --file="$out.part" "$url"
mv "$out.part" "$out"
find "$dir" -name 'trainers-*.dump' -mtime +"$keep" -delete
echo "$out"
