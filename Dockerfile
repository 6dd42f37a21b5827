# syntax=docker/dockerfile:1
# JoinMarket directory node. See docs/tor.md for "tor inside" (default) vs "tor beside".
#   docker build -t jm-directory .                       # with tor inside (managed tor)
#   docker build --build-arg WITH_TOR=0 -t jm-directory . # without tor (tor in another container)

# ---- build: full dependencies, compile with tsc ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
# npm ci runs the "prepare" script, which compiles dist/ with tsc.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies, compiled JS, non-root ----
FROM node:20-bookworm-slim AS runtime
ARG WITH_TOR=1
RUN if [ "$WITH_TOR" = "1" ]; then \
      apt-get update && apt-get install -y --no-install-recommends tor && rm -rf /var/lib/apt/lists/*; \
    fi
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/package.json ./package.json
# State (onion key, managed tor's DataDirectory) lives in /data, owned by the unprivileged user.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
VOLUME ["/data"]
USER node
ENTRYPOINT ["node", "dist/src/cli/jm-directory.js"]
# Default: managed tor inside the container; the onion key persists in the /data volume.
CMD ["--transport", "tor", "--network", "mainnet", "--managed-tor", \
     "--onion-key-file", "/data/onion-key.json", "--data-dir", "/data", "--http", "127.0.0.1:8089"]
