#!/usr/bin/env bash
# Make the images Berth's tests and a registry-less host need, from Debian
# packages on this machine (nothing is pulled). Skips images that exist.
#   berth-test/web:1      busybox httpd with CGI scripts (scripts/images/web)
#   berth-test/nginx:1    the host's nginx in a scratch image, for the gateway
#   berth-test/registry:1 Debian's docker-registry in a scratch image (BERTH_REGISTRY_IMAGE)
# FORCE=1 rebuilds.
set -euo pipefail
cd "$(dirname "$0")"
WEB_IMAGE="${BERTH_TEST_WEB_IMAGE:-berth-test/web:1}"
NGINX_IMAGE="${BERTH_TEST_NGINX_IMAGE:-berth-test/nginx:1}"
REGISTRY_IMAGE="${BERTH_TEST_REGISTRY_IMAGE:-berth-test/registry:1}"

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
