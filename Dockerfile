# syntax=docker/dockerfile:1
# JoinMarket directory node. See docs/tor.md for "tor inside" (default) vs "tor beside".
#   docker build -t jm-directory .                       # with tor inside (managed tor)
#   docker build --build-arg WITH_TOR=0 -t jm-directory . # without tor (tor in another container)
# Node 24 is a maintained LTS line (security fixes until April 2028); Node 20 reached its end of life.
ARG NODE_IMAGE=node:24-trixie-slim

# ---- build: full dependencies, compile with tsc ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
# npm ci runs the "prepare" script, which compiles dist/ with tsc.
RUN npm ci --no-audit --no-fund

# ---- production dependencies only ----
# --omit=optional too: typescript is an optional peer of valibot (via bip32/bitcoinjs-lib) and
# would otherwise come along (35 MB instead of 66 MB); no runtime dependency is optional.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# ---- runtime: production dependencies, compiled JS, non-root ----
FROM ${NODE_IMAGE} AS runtime
ARG WITH_TOR=1
RUN if [ "$WITH_TOR" = "1" ]; then \
      apt-get update && apt-get install -y --no-install-recommends tor && rm -rf /var/lib/apt/lists/*; \
    fi
# Settings as environment (every flag has one), so a replaced CMD keeps the data directory and
# the health endpoint the HEALTHCHECK below reads.
ENV NODE_ENV=production \
    JM_DIRECTORY_DATA_DIR=/data \
    JM_DIRECTORY_HTTP=127.0.0.1:8089
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist/src ./dist/src
COPY --from=build --chown=root:root /app/package.json ./package.json
# State (onion key, managed tor's DataDirectory) lives in /data, owned by the unprivileged user.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
VOLUME ["/data"]
USER node
# Healthy once the DN serves /health with 200 (it starts after the onion is published; a full
# DN answers 503). No curl in the slim image: Node's fetch does it.
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
  CMD ["node", "-e", "fetch('http://' + process.env.JM_DIRECTORY_HTTP + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/jm-directory.js"]
# Default: managed tor inside the container; the onion key (<data-dir>/onion-key.json) persists in /data.
CMD ["--transport", "tor", "--network", "mainnet", "--managed-tor"]
