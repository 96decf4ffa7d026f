# syntax=docker/dockerfile:1
# One image for every nestjet process: producer (default CMD), consumer and the
# provision command differ only in the script passed to node (Helm sets `args`).
#
# The base image is pinned by digest, and the build refuses to start without it:
# a tag alone can be moved to other content under the same name. No digest is
# written here because none could be checked against the registry where this
# file was last changed; look it up where the registry is reachable and pass it:
#   docker buildx imagetools inspect node:22-bookworm-slim    (its "Digest:" line)
#   docker build --build-arg NODE_IMAGE_DIGEST=sha256:<64 hex> -t nestjet .
# Every stage uses the same image at that digest.
ARG NODE_IMAGE=node:22-bookworm-slim
ARG NODE_IMAGE_DIGEST

# ---- build: full dependency tree, TypeScript → dist/ ---------------------------
FROM ${NODE_IMAGE}@${NODE_IMAGE_DIGEST:?build-arg-NODE_IMAGE_DIGEST-is-required-see-the-Dockerfile-header} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts are not needed to compile; skipping them keeps the build hermetic.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN node node_modules/typescript/bin/tsc -p tsconfig.json

# ---- deps: production dependencies only ---------------------------------------
FROM ${NODE_IMAGE}@${NODE_IMAGE_DIGEST:?build-arg-NODE_IMAGE_DIGEST-is-required-see-the-Dockerfile-header} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime -------------------------------------------------------------------
FROM ${NODE_IMAGE}@${NODE_IMAGE_DIGEST:?build-arg-NODE_IMAGE_DIGEST-is-required-see-the-Dockerfile-header} AS runtime
# Declared again: an ARG before the first FROM is visible in FROM lines only.
ARG NODE_IMAGE
ARG NODE_IMAGE_DIGEST
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="nestjet" \
      org.opencontainers.image.description="nestjet producer, consumer and provision command (NestJS on NATS JetStream)" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/nestjet/nestjet" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}" \
      org.opencontainers.image.base.digest="${NODE_IMAGE_DIGEST}"
# tini as PID 1: forwards SIGTERM to node (a PID-1 node has no default signal
# handlers before Nest installs its own) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
# package.json carries "type": "module" and the "imports" map (#contracts, #jetstream) the code resolves at run time.
COPY --from=deps --chown=0:0 /src/node_modules ./node_modules
COPY --from=build --chown=0:0 /src/dist/apps ./dist/apps
COPY --from=build --chown=0:0 /src/dist/libs ./dist/libs
COPY --chown=0:0 package.json ./
# Files stay root-owned and read-only to the app user: nothing writes under /app,
# so the container runs with readOnlyRootFilesystem (only /tmp is an emptyDir).
USER 10001:10001
EXPOSE 3000 3001
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--enable-source-maps"]
CMD ["dist/apps/producer/src/main.js"]
