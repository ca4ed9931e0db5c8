#!/usr/bin/env bash
# Lets the test PostgreSQL server (127.0.0.1, trust auth, as CI and docker compose run it) take
# replication connections from 127.0.0.1, so that tests/hosts/test_read_replica.py can make a
# streaming replica of it with `pg_basebackup -R`.
#
# Debian's default pg_hba.conf allows `all` databases from 127.0.0.1, but the keyword `all`
# does not match replication connections: those need a line whose database is `replication`.
# This script adds `host replication all 127.0.0.1/32 trust` when no such line exists and
# reloads the server; wal_level=replica and max_wal_senders>0 (the defaults) are checked.
# It changes the server's configuration: CI (root, a throwaway machine) runs it; on a shared
# server ask its administrator instead.
set -euo pipefail

PSQL=(psql -h 127.0.0.1 -U "${PGUSER:-postgres}" -d postgres -tAX)

hba=$("${PSQL[@]}" -c "SHOW hba_file")
wal_level=$("${PSQL[@]}" -c "SHOW wal_level")
senders=$("${PSQL[@]}" -c "SHOW max_wal_senders")
if [[ "$wal_level" == "minimal" || "$senders" == "0" ]]; then
    echo "ensure_replication: wal_level=$wal_level max_wal_senders=$senders;" \
        "set wal_level=replica and max_wal_senders=10 and restart PostgreSQL" >&2
    exit 1
fi

allowed=$("${PSQL[@]}" -c "SELECT count(*) FROM pg_hba_file_rules
    WHERE 'replication' = ANY(database) AND type = 'host' AND error IS NULL
      AND (address IS NULL OR address::inet >>= '127.0.0.1'::inet)")
if [[ "$allowed" != "0" ]]; then
    echo "ensure_replication: $hba already allows replication from 127.0.0.1"
    exit 0
fi
if [[ ! -w "$hba" ]]; then
    echo "ensure_replication: $hba has no replication line for 127.0.0.1 and is not writable;" >&2
    echo "add as root:  host replication all 127.0.0.1/32 trust   then reload PostgreSQL" >&2
    exit 1
fi
printf '\n# Added by anju scripts/ensure_replication.sh: streaming replica tests\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
"${PSQL[@]}" -c "SELECT pg_reload_conf()" >/dev/null
echo "ensure_replication: replication from 127.0.0.1 allowed in $hba (reloaded)"
