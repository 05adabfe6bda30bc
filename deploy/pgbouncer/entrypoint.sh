#!/bin/sh
# PgBouncer in front of the primary (deploy/docker-compose.yml), configured from the
# environment: the database credentials from .env (POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB), the pool from PGBOUNCER_*. Written here rather than by the image's own
# entrypoint, which would take the application's DATABASE_URL (which points at PgBouncer
# itself) for its upstream.
set -eu

: "${POSTGRES_USER:?set POSTGRES_USER in .env}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
: "${POSTGRES_DB:?set POSTGRES_DB in .env}"

conf=/tmp/pgbouncer
mkdir -p "$conf"
umask 077
# Plain text: PgBouncer then speaks SCRAM to both sides (the server stores SCRAM verifiers).
printf '"%s" "%s"\n' "$POSTGRES_USER" "$POSTGRES_PASSWORD" > "$conf/userlist.txt"
cat > "$conf/pgbouncer.ini" <<INI
[databases]
${POSTGRES_DB} = host=${PGBOUNCER_UPSTREAM_HOST:-postgres} port=${PGBOUNCER_UPSTREAM_PORT:-5432} dbname=${POSTGRES_DB}

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = ${PGBOUNCER_PORT:-6432}
auth_type = scram-sha-256
auth_file = ${conf}/userlist.txt
; transaction pooling: a server connection per transaction, not per client. Vectis keeps no
; session state between transactions (advisory locks are transaction-scoped, the timezone is
; a startup parameter PgBouncer tracks); DB_DISABLE_SERVER_SIDE_CURSORS=true on the clients.
pool_mode = ${PGBOUNCER_POOL_MODE:-transaction}
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-2000}
default_pool_size = ${PGBOUNCER_DEFAULT_POOL_SIZE:-40}
reserve_pool_size = ${PGBOUNCER_RESERVE_POOL_SIZE:-10}
reserve_pool_timeout = 3
max_db_connections = ${PGBOUNCER_MAX_DB_CONNECTIONS:-150}
server_idle_timeout = 300
ignore_startup_parameters = extra_float_digits
stats_users = ${POSTGRES_USER}
log_connections = 0
log_disconnections = 0
INI
exec pgbouncer "$conf/pgbouncer.ini"
