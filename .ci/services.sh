# Sourced by .ci/run: makes sure PostgreSQL and Redis are up on loopback (starting them the way this
# machine's image does when they are not), creates a throw-away database for the PostgreSQL tests and
# exports the env that makes `npm test` run the conformance suite on both engines. The tests create
# their own roles and schemas (unique names) inside that database and drop them; the database itself
# is dropped when .ci/run exits.

wait_for() { # wait_for <what> <command...>: up to 30 s
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "== $what did not come up" >&2
  return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "== starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "== starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping

ORGVAULT_CI_DB="orgvault_ci_$(date +%s)_$$"
psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$ORGVAULT_CI_DB\""
drop_ci_db() {
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$ORGVAULT_CI_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap drop_ci_db EXIT

export ORGVAULT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/$ORGVAULT_CI_DB"
export ORGVAULT_TEST_BACKENDS="sqlite,postgres"
export ORGVAULT_TEST_REDIS_URL="redis://127.0.0.1:6379"
echo "== PostgreSQL $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version'), database $ORGVAULT_CI_DB; Redis $(redis-cli -h 127.0.0.1 ping)"
