#!/usr/bin/env bash
# Start the services the integration tests need (Docker engine, Redis, Postgres) when
# they are not already answering. Safe to run repeatedly.
set -euo pipefail

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null; then
    echo "dockerd not found: install docker.io (apt-get install -y docker.io)" >&2
    exit 1
  fi
  echo "starting dockerd"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/dockerd.log" >&2; exit 1; }
fi

if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || { echo "redis-server not found: install redis-server" >&2; exit 1; }
  echo "starting redis-server"
  redis-server --daemonize yes --port 6379 --bind 127.0.0.1 --save '' --appendonly no >/dev/null
  for _ in $(seq 1 40); do
    redis-cli -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.25
  done
fi
# Postgres (Debian's cluster), for the tests of installations with DATABASE_URL.
if command -v pg_lsclusters >/dev/null; then
  if [ -z "$(pg_lsclusters -h)" ]; then
    # The package makes one on install; a machine where it did not gets one now.
    pg_createcluster "$(ls /usr/lib/postgresql | sort -n | tail -1)" main >/dev/null
  fi
  read -r pg_version pg_cluster _ pg_status _ < <(pg_lsclusters -h | head -1) || true
  if [ "${pg_status:-}" != "online" ]; then
    echo "starting postgres $pg_version/$pg_cluster"
    pg_ctlcluster "$pg_version" "$pg_cluster" start
  fi
  for _ in $(seq 1 40); do
    su postgres -c "psql -tAc 'SELECT 1'" >/dev/null 2>&1 && break
    sleep 0.25
  done
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'berth'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE ROLE berth LOGIN PASSWORD 'berth' CREATEDB\""
fi
echo "docker: $(docker version --format '{{.Server.Version}}'), redis: $(redis-cli -p 6379 ping)," \
  "postgres: $(su postgres -c "psql -tAc 'SHOW server_version'" 2>/dev/null || echo none)"
