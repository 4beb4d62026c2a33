#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL server of its own: a new cluster in a
# temporary directory, listening on loopback only (127.0.0.1, a free port) and on a socket
# in that directory, never the system's service. The command sees:
#
#   GRADTUNE_TEST_POSTGRES_URL   postgresql://gradtune:<password>@127.0.0.1:<port>/gradtune_test
#   GRADTUNE_TEST_POSTGRES_CTL   a script that stops/starts/restarts this server
#                                (`$GRADTUNE_TEST_POSTGRES_CTL stop|start|restart`), for the
#                                tests of a database that goes away mid-search
#
# The server is stopped and its directory removed when the command ends, also when it
# fails or is interrupted; the script exits with the command's code.
#
#   scripts/with-postgres.sh npx vitest run test/store-postgres.test.ts
#   scripts/with-postgres.sh npm test
#   scripts/with-postgres.sh npm run bench:store
#
# Needs Debian's postgresql package (server binaries in /usr/lib/postgresql/<v>/bin; set
# GRADTUNE_PG_BIN to use others). As root, the server runs as the `postgres` user (initdb
# refuses root); otherwise as the current user.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 64
fi

BIN="${GRADTUNE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)}"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "with-postgres: no PostgreSQL server binaries found (install Debian's postgresql, or set GRADTUNE_PG_BIN)" >&2
  exit 1
fi

ROOT="$(mktemp -d "${TMPDIR:-/tmp}/gradtune-pg.XXXXXX")"
DATA="$ROOT/data"
SOCK="$ROOT/sock"
mkdir -p "$SOCK"
# A free port on loopback, chosen by the kernel.
PORT="${GRADTUNE_PG_PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
PASSWORD="$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')"

if [ "$(id -u)" -eq 0 ]; then
  chown -R postgres: "$ROOT"
  chmod 700 "$ROOT"
  as_server() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }
else
  as_server() { "$@"; }
fi

# What the tests use to take the server away and bring it back.
CTL="$ROOT/ctl"
cat >"$CTL" <<EOF
#!/usr/bin/env bash
# stop | start | restart this test server (written by scripts/with-postgres.sh).
set -euo pipefail
run() { if [ "\$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "\$(printf '%q ' "\$@")"; else "\$@"; fi; }
case "\${1:-}" in
  stop) run "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null ;;
  start) run "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -o "-p $PORT -k $SOCK -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null ;;
  restart) run "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -m fast -w restart >/dev/null ;;
  *) echo "usage: \$0 stop|start|restart" >&2; exit 64 ;;
esac
EOF
chmod 755 "$CTL"

stop_server() {
  as_server "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$ROOT"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Trust on the socket (for the setup below), a password over TCP: the tests connect as a
# user with a password, the way a real deployment does.
as_server "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$ROOT/initdb.log" 2>&1 \
  || { cat "$ROOT/initdb.log" >&2; exit 1; }
# fsync off: a test server's data is thrown away anyway, and the machine is shared.
as_server "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -o "-p $PORT -k $SOCK -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null \
  || { cat "$ROOT/server.log" >&2; exit 1; }
as_server "$BIN/psql" -h "$SOCK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE gradtune LOGIN PASSWORD '$PASSWORD'" \
  -c "CREATE DATABASE gradtune_test OWNER gradtune" >/dev/null

export GRADTUNE_TEST_POSTGRES_URL="postgresql://gradtune:$PASSWORD@127.0.0.1:$PORT/gradtune_test"
export GRADTUNE_TEST_POSTGRES_CTL="$CTL"
echo "with-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (database gradtune_test), stopped when the command ends" >&2

# Not exec: the trap must run after the command.
set +e
"$@"
code=$?
set -e
exit "$code"
