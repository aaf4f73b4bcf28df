# The built-in web terminal (RunsStream.Web) and the browser its tests drive. Source it after
# setup.sh: `source "$(dirname "$0")/lib/web.sh"; build_web; ensure_chromium`.
# shellcheck shell=bash

WEB_DIR="$ROOT/RunsStream.Web"
WEB_OUT="$ROOT/RunsStream.Server/wwwroot"

# build_web : npm ci when RunsStream.Web/node_modules is missing or older than the lock file,
# then bundles into RunsStream.Server/wwwroot when that is missing or older than any source.
build_web() {
  ensure_node
  npm_ci "$WEB_DIR"
  local stamp="$WEB_OUT/index.html"
  if [ -f "$stamp" ] && [ -f "$WEB_OUT/app.js" ] \
     && [ -z "$(find "$WEB_DIR/src" "$WEB_DIR/build.mjs" "$WEB_DIR/package-lock.json" -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  log "setup: building the web terminal (esbuild)"
  (cd "$WEB_DIR" && node build.mjs >/dev/null)
}

# ensure_chromium : Debian's chromium for the browser tests (a browser download cannot work here).
ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}
