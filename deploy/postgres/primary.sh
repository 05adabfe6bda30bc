#!/bin/bash
# The primary's entrypoint (deploy/docker-compose.yml): prepares the WAL archive directory (a
# volume of its own, created root-owned), then hands over to the image's entrypoint, which
# initialises the cluster on first start (running init-replication.sh) and starts PostgreSQL
# as the postgres user with the settings below.
set -euo pipefail

archive=/var/lib/postgresql/wal-archive
install -d -o postgres -g postgres -m 700 "$archive"

exec docker-entrypoint.sh postgres \
    -c timezone=UTC \
    -c wal_level=replica \
    -c max_wal_senders="${POSTGRES_MAX_WAL_SENDERS:-10}" \
    -c max_replication_slots="${POSTGRES_MAX_REPLICATION_SLOTS:-10}" \
    -c wal_keep_size="${POSTGRES_WAL_KEEP_SIZE:-1GB}" \
    -c max_slot_wal_keep_size="${POSTGRES_MAX_SLOT_WAL_KEEP_SIZE:-20GB}" \
    -c hot_standby=on \
    -c archive_mode=on \
    -c archive_timeout=300 \
    -c archive_command="test ! -f $archive/%f && cp %p $archive/%f" \
    -c max_connections="${POSTGRES_MAX_CONNECTIONS:-200}" \
    "$@"
