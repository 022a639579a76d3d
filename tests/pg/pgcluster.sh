#!/bin/sh
# SPDX-License-Identifier: MIT
# pgcluster.sh -- a throw-away PostgreSQL cluster for the tests of the
# collector's PostgreSQL store (docs/collector.md).
#
#   pgcluster.sh start DIR     initdb DIR/data (when absent) and start it
#   pgcluster.sh stop DIR      stop it (fast: sessions are cut)
#   pgcluster.sh destroy DIR   stop it if it runs and remove DIR
#
# The server runs as nobody (PostgreSQL refuses root), listens on a unix
# socket in DIR/sock only (no TCP port to collide with), superuser
# "tmwatch", trust authentication on that socket (no password exists to
# leak). Fails loudly when PostgreSQL 15 is not installed: CI installs it
# (scripts/setup.sh), so a missing server is a failure, never a skip.
set -eu
BIN=${TMWATCH_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: pgcluster.sh start|stop|destroy DIR" >&2
  exit 2
fi
as_pg() {
  (cd "$dir" && setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HOME="$dir" "$@")
}
case $cmd in
start)
  if [ ! -x "$BIN/initdb" ] || [ ! -x "$BIN/pg_ctl" ]; then
    echo "FAIL: PostgreSQL 15 is not installed ($BIN/initdb missing);" \
      "install postgresql-15 (scripts/setup.sh)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  chown 65534:65534 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir/sock"
    chown 65534:65534 "$dir/sock"
    if ! as_pg "$BIN/initdb" -D "$dir/data" -U tmwatch -A trust -E UTF8 \
      --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
      echo "FAIL: initdb in $dir failed:" >&2
      cat "$dir/initdb.log" >&2
      exit 1
    fi
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/sock'
max_connections = 200
CONF
  fi
  if ! as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
    start >"$dir/pg_ctl.log" 2>&1; then
    echo "FAIL: PostgreSQL did not start in $dir:" >&2
    cat "$dir/pg_ctl.log" "$dir/server.log" >&2
    exit 1
  fi
  ;;
stop)
  as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 120 stop >/dev/null
  ;;
destroy)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 120 stop \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: pgcluster.sh start|stop|destroy DIR" >&2
  exit 2
  ;;
esac
