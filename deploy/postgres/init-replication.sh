#!/bin/bash
# Runs once, when the primary's data directory is first initialised (the image runs every
# script in /docker-entrypoint-initdb.d): the replication role, its pg_hba.conf entry and the
# physical replication slot the replica streams from (so the primary keeps the WAL it has not
# received yet; see docs/operations.md, "Replica lagging").
set -euo pipefail

: "${POSTGRES_REPLICATION_USER:=replicator}"
: "${POSTGRES_REPLICATION_PASSWORD:?set POSTGRES_REPLICATION_PASSWORD in .env}"
: "${POSTGRES_REPLICATION_SLOT:=replica1}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=role="$POSTGRES_REPLICATION_USER" \
    --set=password="$POSTGRES_REPLICATION_PASSWORD" \
    --set=slot="$POSTGRES_REPLICATION_SLOT" <<'SQL'
CREATE ROLE :"role" WITH REPLICATION LOGIN PASSWORD :'password';
SELECT pg_create_physical_replication_slot(:'slot');
SQL

# "all" in the database column does not match replication connections: they need their own.
echo "host replication ${POSTGRES_REPLICATION_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
