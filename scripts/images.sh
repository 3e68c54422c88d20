#!/usr/bin/env bash
# Make the images Berth's tests and a registry-less host need, from Debian
# packages on this machine (nothing is pulled). Skips images that exist.
#   berth-test/web:1      busybox httpd with CGI scripts (scripts/images/web)
#   berth-test/nginx:1    the host's nginx in a scratch image, for the gateway
#   berth-test/registry:1 Debian's docker-registry in a scratch image (BERTH_REGISTRY_IMAGE)
#   berth-test/python:bookworm  Debian's python3 by debootstrap: the portal image's BASE
#   berth-test/redis:1    the host's redis-server in a scratch image, for Berth's own stack
# FORCE=1 rebuilds.
set -euo pipefail
cd "$(dirname "$0")"
WEB_IMAGE="${BERTH_TEST_WEB_IMAGE:-berth-test/web:1}"
NGINX_IMAGE="${BERTH_TEST_NGINX_IMAGE:-berth-test/nginx:1}"
REGISTRY_IMAGE="${BERTH_TEST_REGISTRY_IMAGE:-berth-test/registry:1}"
BASE_IMAGE="${BERTH_TEST_BASE_IMAGE:-berth-test/python:bookworm}"
REDIS_IMAGE="${BERTH_TEST_REDIS_IMAGE:-berth-test/redis:1}"

have() { [[ -z "${FORCE:-}" ]] && docker image inspect "$1" >/dev/null 2>&1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! have "$WEB_IMAGE"; then
  busybox=$(command -v busybox || true)
  [[ -n "$busybox" ]] || { echo "busybox not found: apt-get install busybox-static" >&2; exit 1; }
  file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || [[ ! -x /usr/bin/file ]] || {
    echo "$busybox is not static: apt-get install busybox-static" >&2; exit 1; }
  cp -r images/web/. "$work/web"
  cp "$busybox" "$work/web/busybox"
  docker build -q -t "$WEB_IMAGE" "$work/web" >/dev/null
  echo "built $WEB_IMAGE"
fi

if ! have "$NGINX_IMAGE"; then
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [[ -x "$nginx" ]] || { echo "nginx not found: apt-get install nginx-light" >&2; exit 1; }
  root="$work/nginx/root"
  mkdir -p "$root"/{usr/sbin,etc/nginx,var/log/nginx,var/lib/nginx,run,tmp,bin}
  cp "$nginx" "$root/usr/sbin/nginx"
  # The dynamic loader and every library nginx links.
  for lib in $(ldd "$nginx" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  cp /etc/nginx/mime.types "$root/etc/nginx/mime.types"
  cp "$(command -v busybox)" "$root/bin/busybox"
  printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  cat >"$work/nginx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY root /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
DOCKERFILE
  docker build -q -t "$NGINX_IMAGE" "$work/nginx" >/dev/null
  echo "built $NGINX_IMAGE"
fi

# The base of the portal image when nothing can be pulled (compose/Dockerfile's BASE):
# Debian's python3 (3.11 in bookworm, like the host that builds the wheelhouse).
# Only the production tests need it; they say so when it is missing.
if ! have "$BASE_IMAGE"; then
  if ! command -v debootstrap >/dev/null; then
    echo "skipped $BASE_IMAGE: debootstrap not found (apt-get install debootstrap)" >&2
  elif debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
      bookworm "$work/base" "${BERTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$work/base.log" 2>&1; then
    rm -rf "$work/base"/var/cache/apt/archives/*.deb "$work/base"/var/lib/apt/lists/* \
      "$work/base"/usr/share/doc "$work/base"/usr/share/man "$work/base"/usr/share/locale
    tar -C "$work/base" -c . | docker import -c 'CMD ["python3"]' - "$BASE_IMAGE" >/dev/null
    echo "built $BASE_IMAGE"
  else
    echo "skipped $BASE_IMAGE: debootstrap failed:" >&2
    tail -n 5 "$work/base.log" >&2
  fi
fi

# Redis for Berth's own stack: the host's redis-server and redis-cli (the health check).
if ! have "$REDIS_IMAGE"; then
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "skipped $REDIS_IMAGE: redis-server not found (apt-get install redis-server)" >&2
  else
    root="$work/redis/root"
    mkdir -p "$root"/{usr/bin,tmp,etc} "$work/redis/data"
    for binary in "$(command -v redis-server)" "$(command -v redis-cli)"; do
      cp "$binary" "$root/usr/bin/"
      for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
      done
    done
    printf 'root:x:0:0:root:/root:/bin/false\nredis:x:999:999:redis:/data:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nredis:x:999:\n' >"$root/etc/group"
    chmod 1777 "$root/tmp"
    cat >"$work/redis/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY root /
COPY --chown=999:999 data /data
RUN ["/usr/bin/redis-server", "--version"]
USER redis
WORKDIR /data
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no"]
DOCKERFILE
    docker build -q -t "$REDIS_IMAGE" "$work/redis" >/dev/null
    echo "built $REDIS_IMAGE"
  fi
fi

if ! have "$REGISTRY_IMAGE"; then
  registry=/usr/bin/docker-registry
  if [[ ! -x "$registry" ]]; then
    # Only the multi-node tests need it; they say so when it is missing.
    echo "skipped $REGISTRY_IMAGE: $registry not found (apt-get install docker-registry)" >&2
    exit 0
  fi
  root="$work/registry/root"
  mkdir -p "$root"/{bin,etc/docker/registry,etc/ssl/certs,var/lib/registry,tmp}
  cp "$registry" "$root/bin/registry"
  for lib in $(ldd "$registry" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  # For an upstream over HTTPS (a mirror of a public registry).
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/bin/false\n' >"$root/etc/passwd"
  chmod 1777 "$root/tmp"
  # The official image's layout: the config file is the argument of `registry serve`.
  cat >"$work/registry/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY root /
VOLUME ["/var/lib/registry"]
EXPOSE 5000
ENTRYPOINT ["/bin/registry", "serve"]
CMD ["/etc/docker/registry/config.yml"]
DOCKERFILE
  docker build -q -t "$REGISTRY_IMAGE" "$work/registry" >/dev/null
  echo "built $REGISTRY_IMAGE"
fi
