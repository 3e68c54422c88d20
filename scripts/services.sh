#!/usr/bin/env bash
# Start the services the integration tests need (Docker engine, Redis) when
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
echo "docker: $(docker version --format '{{.Server.Version}}'), redis: $(redis-cli -p 6379 ping)"
