# redis-server for fleet mode (issue 14): Debian's package, one instance per caller on a port of
# its own. Source it after setup.sh. scripts/test calls ensure_redis (the tests start their own
# instances, RunsStream.Tests/Support/RedisServer.cs); scripts/cluster starts one with
# start_redis and stops it with stop_redis.
# shellcheck shell=bash

# ensure_redis : installs redis-server when missing. Installing it starts Debian's own service
# on 6379 (where there is an init system); that instance is nobody's here, so it is stopped
# again: every user of Redis in this repo starts its own on a port it chose.
ensure_redis() {
  command -v redis-server >/dev/null 2>&1 && return 0
  apt_install redis-server
  if command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
  fi
  local pidfile=/run/redis/redis-server.pid pid
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  fi
}

# start_redis PORT DIR : starts redis-server on 127.0.0.1:PORT with DIR as its working folder
# (no persistence: Redis is a fast path here, never the only copy of anything) and prints its
# pid once it answers PING.
start_redis() {
  local port="$1" dir="$2"
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
    --daemonize no --logfile "$dir/redis.log" >/dev/null 2>&1 &
  local pid=$!
  local i
  for i in $(seq 1 100); do
    if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
      echo "$pid"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  log "redis: redis-server on port $port did not start (see $dir/redis.log)"
  kill "$pid" 2>/dev/null || true
  return 1
}

# stop_redis PID : stops the instance started by start_redis, and waits for it to go.
stop_redis() {
  local pid="$1" i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
