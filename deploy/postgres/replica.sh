#!/bin/bash
# The replica's entrypoint (deploy/docker-compose.yml). On first start (an empty data
# directory) it clones the primary with pg_basebackup, which writes standby.signal and the
# primary_conninfo / primary_slot_name to stream from; on every start it then runs
# PostgreSQL as a hot standby (read-only) through the image's entrypoint.
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_PRIMARY_HOST:=postgres}"
: "${POSTGRES_PRIMARY_PORT:=5432}"
: "${POSTGRES_REPLICATION_USER:=replicator}"
: "${POSTGRES_REPLICATION_PASSWORD:?set POSTGRES_REPLICATION_PASSWORD in .env}"
: "${POSTGRES_REPLICATION_SLOT:=replica1}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    install -d -o postgres -g postgres -m 700 "$PGDATA"
    until gosu postgres pg_isready -q -h "$POSTGRES_PRIMARY_HOST" -p "$POSTGRES_PRIMARY_PORT"; do
        echo "replica: waiting for the primary at $POSTGRES_PRIMARY_HOST:$POSTGRES_PRIMARY_PORT"
        sleep 2
    done
    echo "replica: cloning the primary (pg_basebackup, slot $POSTGRES_REPLICATION_SLOT)"
    # -R: standby.signal plus the connection settings in postgresql.auto.conf (mode 0600).
    PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD" gosu postgres pg_basebackup \
        --host="$POSTGRES_PRIMARY_HOST" --port="$POSTGRES_PRIMARY_PORT" \
        --username="$POSTGRES_REPLICATION_USER" --pgdata="$PGDATA" \
        --wal-method=stream --slot="$POSTGRES_REPLICATION_SLOT" \
        --checkpoint=fast --write-recovery-conf --no-password
fi
# A clone always carries standby.signal; a data directory without one was promoted on
# purpose (pg_ctl promote) and is left a primary.
# A standby refuses to start with max_connections or max_wal_senders below the primary's.
exec docker-entrypoint.sh postgres \
    -c timezone=UTC \
    -c hot_standby=on \
    -c hot_standby_feedback=on \
    -c max_connections="${POSTGRES_MAX_CONNECTIONS:-200}" \
    -c max_wal_senders="${POSTGRES_MAX_WAL_SENDERS:-10}" \
    -c max_replication_slots="${POSTGRES_MAX_REPLICATION_SLOTS:-10}" \
    "$@"
