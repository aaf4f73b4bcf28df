# A Docker Engine API without a Docker daemon: Debian's podman serving it on a unix socket.
# Source it after setup.sh. scripts/test calls ensure_podman (the docker executor's tests start
# their own engine in a temp folder, RunsStream.Tests/Support/PodmanEngine.cs); scripts/run
# calls start_podman_service when DOCKER_ENGINE=podman and DOCKER_HOST is not set.
#
# What podman 4.3 (Debian 12) needs on these machines, found by trying:
# - runc: the runtime (crun is not installed; say so explicitly rather than rely on the search);
# - cgroup_manager = "cgroupfs": there is no systemd;
# - the vfs storage driver: no overlay mount inside these VMs;
# - default_ulimits with nofile and nproc: podman's default nofile (1048576) is above the VM's
#   hard limit, and runc then fails with "error setting rlimits for ready process";
# - lock_type = "file": the default shm lock (/dev/shm/libpod_lock) is one per machine, shared
#   by every podman with its own storage, so two engines side by side would share lock numbers;
# - no static_dir: conmon's cleanup after a container exits gets --root but not the static
#   dir, does not find the container, and every wait for an exit then takes 20 s;
# - catatonit: the init behind HostConfig.Init (it passes a stop's SIGTERM to the command);
# - busybox-static: the root filesystem of the offline test image (podman import).
# Not fixable by configuration: conmon 2.1.6 writes its OOM marker in its working directory,
# where podman 4.3 does not look, so State.OOMKilled stays false on cgroup v1 (the runner then
# says "killed (SIGKILL) with a memory limit of N: most likely out of memory").
# shellcheck shell=bash

PODMAN_PACKAGES=(podman runc conmon catatonit busybox-static)

# ensure_podman : installs podman and what it needs here, when missing.
ensure_podman() {
  apt_install "${PODMAN_PACKAGES[@]}"
}

# write_podman_conf DIR : containers.conf and storage.conf for an engine whose storage, locks
# and socket all live in DIR (nothing of the machine's defaults is read or written).
write_podman_conf() {
  local dir="$1"
  mkdir -p "$dir"
  cat > "$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
log_driver = "k8s-file"
init_path = "/usr/bin/catatonit"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
lock_type = "file"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
volume_path = "$dir/volumes"

[network]
network_config_dir = "$dir/net"
CONF
  cat > "$dir/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$dir/graph"
runroot = "$dir/run"
CONF
}

# start_podman_service DIR : starts 'podman system service' on DIR/podman.sock unless one
# already answers there, and exports DOCKER_HOST. Its pid is in DIR/podman.pid.
start_podman_service() {
  local dir="$1"
  local socket="$dir/podman.sock"
  export DOCKER_HOST="unix://$socket"
  if curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1; then
    return 0
  fi
  write_podman_conf "$dir"
  log "setup: starting podman system service on $socket"
  # A simple command in the background, and nohup execs podman itself: $! is the service's
  # pid. Its working directory is DIR, where conmon leaves its OOM markers.
  (
    cd "$dir" || exit 1
    CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf" \
      nohup podman system service --time=0 "unix://$socket" >"$dir/service.log" 2>&1 &
    echo $! > "$dir/podman.pid"
  )
  for _ in $(seq 1 100); do
    curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "setup: podman system service did not answer on $socket (see $dir/service.log)"
  return 1
}

# import_busybox_image DIR : when DOCKER_IMAGE is unset, imports (once) a small image made
# offline from busybox-static into the podman storage of DIR and exports DOCKER_IMAGE, so the
# docker executor has an image without any registry.
import_busybox_image() {
  local dir="$1" image="localhost/runsstream-busybox:latest"
  [ -n "${DOCKER_IMAGE:-}" ] && return 0
  export DOCKER_IMAGE="$image"
  local podman=(env CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf" podman)
  "${podman[@]}" image exists "$image" 2>/dev/null && return 0
  log "setup: importing $image (busybox-static) into podman"
  local rootfs
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/workspace" "$rootfs/etc"
  cp /bin/busybox "$rootfs/bin/busybox"
  for tool in $("$rootfs/bin/busybox" --list); do
    [ -e "$rootfs/bin/$tool" ] || ln -s busybox "$rootfs/bin/$tool"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$rootfs/etc/passwd"
  tar -C "$rootfs" -cf "$rootfs.tar" .
  "${podman[@]}" import --quiet --change 'ENV PATH=/bin' "$rootfs.tar" "$image" >/dev/null || { log "setup: podman could not import $image"; rm -rf "$rootfs" "$rootfs.tar"; return 1; }
  rm -rf "$rootfs" "$rootfs.tar"
}

# import_host_runtime_image DIR IMAGE : imports (once) into the podman storage of DIR an image
# made offline from this machine's own files: glibc, libstdc++, zlib and OpenSSL (what a
# self-contained .NET executable loads), bash (the Dockerfile's healthcheck) and busybox-static's
# applets (sh, grep, head). It stands in for dotnet/runtime-deps where no registry can be reached.
import_host_runtime_image() {
  local dir="$1" image="$2"
  local podman=(env CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf" podman)
  "${podman[@]}" image exists "$image" 2>/dev/null && return 0
  apt_install busybox-static libstdc++6
  local rootfs
  rootfs="$(mktemp -d)"
  chmod 755 "$rootfs" # mktemp's 700 would become the image's /, closed to its user
  mkdir -p "$rootfs/bin" "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/var/lib" "$rootfs/opt" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for tool in $("$rootfs/bin/busybox" --list); do
    [ -e "$rootfs/bin/$tool" ] || ln -s busybox "$rootfs/bin/$tool"
  done
  cp /bin/bash "$rootfs/bin/bash"
  # The loader and every library bash and a .NET executable need, at their paths on this machine.
  local lib
  local name
  for lib in $(ldd /bin/bash | grep -o '/[^ ]*') /lib64/ld-linux-x86-64.so.2 \
             $(for name in libc.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libm.so.6 libstdc++.so.6 libgcc_s.so.1 libz.so.1 libssl.so.3 libcrypto.so.3; do
                 ldconfig -p | awk -v n="$name" '$1 == n && /x86-64/ {print $NF; exit}'
               done); do
    [ -n "$lib" ] || continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
  tar -C "$rootfs" -cf "$rootfs.tar" .
  "${podman[@]}" import --quiet --change 'ENV PATH=/usr/sbin:/usr/bin:/bin' "$rootfs.tar" "$image" >/dev/null \
    || { log "setup: podman could not import $image"; rm -rf "$rootfs" "$rootfs.tar"; return 1; }
  rm -rf "$rootfs" "$rootfs.tar"
}
