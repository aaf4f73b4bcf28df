# haproxy as the fleet's round-robin load balancer (issue 14): installed from Debian when
# missing, configured without stickiness, started and stopped by pid. Sourced by scripts/cluster
# and scripts/test; the tests' Support/Haproxy.cs writes its config with write_haproxy_config,
# so the tests prove the configuration the cluster runs.
# shellcheck shell=bash

source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# ensure_haproxy : installs Debian's haproxy when missing, and leaves no haproxy service of
# the package running (we start our own instances, each on its own port and config).
ensure_haproxy() {
  command -v haproxy >/dev/null 2>&1 && return 0
  # While installing, invoke-rc.d asks policy-rc.d whether to start the package's service:
  # 101 says no. Only put there when the machine has none (Docker images often do).
  local policy=/usr/sbin/policy-rc.d added=""
  if [ "$(id -u)" -eq 0 ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && added=1
  fi
  apt_install haproxy
  [ -n "$added" ] && rm -f "$policy"
  # Where a service was started anyway (systemd without invoke-rc.d), stop and disable it.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet haproxy 2>/dev/null; then
    systemctl disable --now haproxy >/dev/null 2>&1 || true
  fi
  return 0
}

# write_haproxy_config FILE PORT HOST:PORT... : round-robin over the backends, per request.
#  - No stickiness (no cookie, no source hash, no prefer-last-server): every request, including
#    each long-poll GET and POST of one Engine.IO session, may go to any node; the nodes forward
#    a request for another node's session to it (the sid names the node).
#  - HTTP keep-alive to clients and servers: a polling client's requests still spread, because
#    haproxy picks a server per request, not per connection.
#  - A WebSocket upgrade becomes a tunnel: "timeout tunnel" (1 h) then governs it instead of the
#    client/server timeouts; Engine.IO's own pings (25 s) show a dead peer long before.
#  - "timeout server" above a long-poll's hold (at most the ping interval, 25 s).
write_haproxy_config() {
  local file="$1" port="$2"
  shift 2
  {
    # maxconn within the fd limit haproxy may raise itself to (two fds per connection, some spare).
    local hard maxconn=10000
    hard="$(ulimit -Hn)"
    if [ "$hard" != unlimited ] && [ $(((hard - 100) / 2)) -lt $maxconn ]; then
      maxconn=$(((hard - 100) / 2))
    fi
    printf 'global\n  maxconn %s\n\n' "$maxconn"
    printf 'defaults\n  mode http\n  option http-keep-alive\n  no option prefer-last-server\n'
    printf '  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n'
    printf '  timeout http-request 10s\n  timeout http-keep-alive 30s\n  timeout tunnel 1h\n\n'
    printf 'frontend runsstream\n  bind 127.0.0.1:%s\n  default_backend nodes\n\n' "$port"
    printf 'backend nodes\n  balance roundrobin\n'
    local i=1
    for backend in "$@"; do
      printf '  server node%s %s\n' "$i" "$backend"
      i=$((i + 1))
    done
  } > "$file"
}

# start_haproxy CONFIG PIDFILE : starts haproxy in the background (master-worker off, not
# daemonized by itself, so $! is its pid) and writes the pid to PIDFILE.
start_haproxy() {
  local config="$1" pidfile="$2"
  haproxy -c -q -f "$config" || { log "haproxy: bad config $config"; return 1; }
  haproxy -db -f "$config" >"${config%.cfg}.log" 2>&1 &
  echo $! > "$pidfile"
}

# stop_haproxy PIDFILE : stops the instance started with that pidfile (by its pid).
stop_haproxy() {
  local pidfile="$1"
  [ -f "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}
