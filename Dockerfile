# RunsStream in a container. Online (a registry reachable):
#   docker build -t runsstream .        (or podman build)
#   docker run -p 4000:4000 -e WS_AUTH_TOKEN=... -v runsstream-data:/var/lib/runsstream runsstream
# Offline, from a folder scripts/publish made on the host (what the tests do, with a base
# image imported from the host's files):
#   scripts/publish --jit && podman build --target prebuilt --build-arg RUNTIME_IMAGE=... .
#
# Runs execute inside the container as its user (the process executor; RUN_AS_USER needs
# root). The sandbox executor needs user namespaces, which a default container profile
# refuses (it then reports itself unavailable); the docker executor needs DOCKER_HOST.

ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
# runtime-deps: what a self-contained .NET executable needs (glibc, libstdc++, OpenSSL, zlib,
# CA certificates) and a shell, nothing else.
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0

# --- build: the self-contained single-file server and its web page (scripts/publish --jit)
FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY . .
RUN scripts/publish --jit --out /publish

# --- base: everything but the server's files
FROM ${RUNTIME_IMAGE} AS base
# A fixed uid, so a volume's files keep their owner across images; no login, no home of its own.
RUN echo 'runsstream:x:10001:10001:RunsStream:/var/lib/runsstream:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'runsstream:x:10001:' >> /etc/group \
 && mkdir -p /var/lib/runsstream /opt/runsstream \
 && chown 10001:10001 /var/lib/runsstream && chmod 700 /var/lib/runsstream
ENV HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/var/lib/runsstream \
    LOG_FORMAT=json
VOLUME ["/var/lib/runsstream"]
EXPOSE 4000
WORKDIR /var/lib/runsstream
USER 10001:10001
# No curl in runtime-deps: bash's /dev/tcp asks GET /healthz (200 {"status":"ok"} or "degraded").
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-4000} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/opt/runsstream/RunsStream.Server"]

# --- prebuilt: the folder scripts/publish --jit left in artifacts/publish/jit
FROM base AS prebuilt
COPY --chown=0:0 artifacts/publish/jit/ /opt/runsstream/

# --- the default: built in the SDK stage above
FROM base AS runtime
COPY --from=build --chown=0:0 /publish/jit/ /opt/runsstream/
