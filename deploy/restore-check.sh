#!/bin/sh
# Prove a dump restores: load it into a new scratch database on the same server,
# check the schema is at this release's migration and count the main tables,
# then drop the scratch database. Usage: restore-check.sh [dump] (default: newest).
# Needs a role that may create databases; never touches the live database.
set -eu
dir=${BACKUP_DIR:-/var/backups/trainers}
dump=${1:-$(ls -1t "$dir"/trainers-*.dump | head -n 1)}
url=$(printf '%s' "$DATABASE_URL" | sed 's/+psycopg//')
scratch="restore_check_$(date -u +%Y%m%d%H%M%S)_$$"
psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --dbname="$url" \
    --command="CREATE DATABASE $scratch"
trap 'psql --quiet --no-psqlrc --dbname="$url" --command="DROP DATABASE IF EXISTS $scratch WITH (FORCE)"' EXIT
scratch_url=$(printf '%s' "$url" | sed "s#/[^/?]*\([?].*\)\{0,1\}\$#/$scratch\1#")
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$scratch_url" "$dump"
psql --no-psqlrc --set ON_ERROR_STOP=1 --tuples-only --no-align --dbname="$scratch_url" \
    --command="SELECT 'alembic_version ' || version_num FROM alembic_version" \
    --command="SELECT 'users ' || count(*) FROM users" \
    --command="SELECT 'groups ' || count(*) FROM groups" \
    --command="SELECT 'training_sessions ' || count(*) FROM training_sessions" \
    --command="SELECT 'outbox_messages ' || count(*) FROM outbox_messages"
echo "restored $dump into $scratch: ok"
