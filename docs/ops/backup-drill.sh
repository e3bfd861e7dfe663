#!/usr/bin/env bash
# Backup and restore drill for LearnApp's PostgreSQL database (docs/operations.md).
#
#   docs/ops/backup-drill.sh SOURCE_URL RESTORE_DATABASE [DUMP_FILE]
#
# SOURCE_URL is a libpq URL of the live database (postgresql://user@host:5432/learnapp).
# Dumps it with pg_dump (custom format), restores the dump into RESTORE_DATABASE, a database
# this script creates on the same server (it refuses one that exists), and compares the counts
# of users, attempts, answers and certificates. Exits 1 if any count differs. The restored
# database is left for inspection; drop it afterwards (dropdb). The counts of a live database
# move while it is dumped, so they are read before and after the dump and the drill asks for a
# quiet moment (or a replica) when they differ.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 SOURCE_URL RESTORE_DATABASE [DUMP_FILE]" >&2
  exit 2
fi
source_url=$1
restore_db=$2
dump=${3:-$(mktemp "${TMPDIR:-/tmp}/learnapp-backup.XXXXXX.dump")}
# The restored database on the same server: the source URL with its database name replaced.
restore_url="${source_url%/*}/${restore_db}"
admin_url="${source_url%/*}/postgres"

tables=(users quiz_attempts answers certificates)

counts() {  # URL -> "table count" lines
  local url=$1 table
  for table in "${tables[@]}"; do
    printf '%s %s\n' "$table" "$(psql "$url" -Atc "SELECT count(*) FROM $table")"
  done
}

exists=$(psql "$admin_url" -Atc "SELECT 1 FROM pg_database WHERE datname = '$restore_db'")
if [ -n "$exists" ]; then
  echo "database $restore_db exists: choose a new name for the drill" >&2
  exit 2
fi

echo "1. pg_dump $source_url -> $dump"
before=$(counts "$source_url")
pg_dump --format=custom --no-owner --file "$dump" "$source_url"
after=$(counts "$source_url")
echo "2. createdb $restore_db; pg_restore"
psql "$admin_url" -Atqc "CREATE DATABASE \"$restore_db\""
pg_restore --no-owner --exit-on-error --dbname "$restore_url" "$dump"
echo "3. counts (source before and after the dump; restored):"
restored=$(counts "$restore_url")
paste <(echo "$before") <(echo "$after" | cut -d' ' -f2) <(echo "$restored" | cut -d' ' -f2) |
  awk 'BEGIN { printf "%-15s %10s %10s %10s\n", "table", "before", "after", "restored" }
       { printf "%-15s %10s %10s %10s\n", $1, $2, $3, $4 }'
if [ "$before" != "$after" ]; then
  echo "the source changed during the dump: compare again on a quiet database" >&2
  exit 1
fi
if [ "$before" != "$restored" ]; then
  echo "RESTORE MISMATCH: the restored database does not hold the same rows" >&2
  exit 1
fi
echo "OK: the restored database has the same users, attempts, answers and certificates."
