#!/usr/bin/env bash
# Ensures a PostgreSQL server for the tests and exports KONFIDO_TEST_PG (an Npgsql connection
# string with rights to create databases). Source it: `. scripts/postgres.sh`.
# - KONFIDO_TEST_PG already set: that server is used as it is.
# - Otherwise a private cluster under ${KONFIDO_PG_DIR:-/tmp/konfido-pg} on 127.0.0.1:${KONFIDO_PG_PORT:-55432}
#   is created and started (PostgreSQL is installed from Debian's packages first if it is missing).
konfido_pg_main() {
  if [ -n "${KONFIDO_TEST_PG:-}" ]; then
    echo "postgres: using KONFIDO_TEST_PG from the environment" >&2
    return 0
  fi
  local port="${KONFIDO_PG_PORT:-55432}" dir="${KONFIDO_PG_DIR:-/tmp/konfido-pg}" bin=""
  konfido_pg_find() { local d; for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done; return 1; }
  bin=$(konfido_pg_find) || {
    echo "postgres: not installed; installing from Debian's packages" >&2
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    bin=$(konfido_pg_find) || { echo "postgres: installation failed" >&2; return 1; }
  }
  # PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    as=(runuser -u postgres --)
  fi
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "postgres: already running on 127.0.0.1:$port" >&2
  else
    if [ ! -f "$dir/PG_VERSION" ]; then
      rm -rf "$dir"; mkdir -p "$dir"
      [ "${#as[@]}" -eq 0 ] || chown postgres "$dir"
      "${as[@]}" "$bin/initdb" -D "$dir" -U konfido -A trust -E UTF8 --no-instructions >/dev/null
    fi
    echo "postgres: starting on 127.0.0.1:$port ($dir)" >&2
    "${as[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  fi
  export KONFIDO_TEST_PG="Host=127.0.0.1;Port=$port;Username=konfido;Database=postgres"
}
konfido_pg_main
