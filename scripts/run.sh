#!/usr/bin/env bash
# `make run`: migrate, bootstrap the swarm and gateway, then run the web and the
# worker (which runs beat, as in the stack) together (and a local Redis when
# REDIS_URL is unset).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export BERTH_DATA_DIR="${BERTH_DATA_DIR:-$PWD/var}"
port="${BERTH_WEB_PORT:-8000}"

processes=(web worker)
if [[ -z "${REDIS_URL:-}" ]]; then
  if redis-cli -p 6379 ping >/dev/null 2>&1; then
    echo "using the Redis already answering on 127.0.0.1:6379"
  elif command -v redis-server >/dev/null; then
    processes+=(redis)
  else
    echo "Berth needs Redis: install it (apt-get install redis-server) or set REDIS_URL." >&2
    exit 1
  fi
fi

python manage.py migrate --noinput
python manage.py collectstatic --noinput -v0
if python manage.py help bootstrap >/dev/null 2>&1; then
  python manage.py bootstrap || echo "bootstrap failed: the portal runs, deploys will not until the engine is fixed" >&2
fi

echo
echo "Berth is starting: open http://localhost:${port}/"
echo "(the first account you sign up becomes the operator)"
echo
exec honcho start -f Procfile "${processes[@]}"
