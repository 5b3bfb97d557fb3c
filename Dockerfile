# syntax=docker/dockerfile:1
# One file, one stage per image (docker-compose.yml picks them with `target`): install the workspaces
# once with their dev tools, then copy only what each app runs into a slim non-root image.
FROM node:24-bookworm-slim AS deps
# node-gyp builds re2's native addon (the guard regex engine) at install; the run images do not need these.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/dashboard/package.json apps/dashboard/
COPY apps/gateway/package.json apps/gateway/
COPY apps/twikit/package.json apps/twikit/
COPY packages packages
COPY prisma prisma
COPY e2e/package.json e2e/
COPY scripts/postinstall.mjs scripts/
RUN npm install --no-audit --no-fund

FROM deps AS dashboard-build
COPY apps apps
ENV NEXT_TELEMETRY_DISABLED=1
RUN cd apps/dashboard && npx next build

FROM node:24-bookworm-slim AS dashboard
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
# bubblewrap confines the stdio servers "Sync tools" starts (STDIO_SANDBOX).
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=dashboard-build /app /app
USER node
EXPOSE 3000
CMD ["node", "node_modules/next/dist/bin/next", "start", "apps/dashboard", "-p", "3000"]

FROM node:24-bookworm-slim AS gateway
ENV NODE_ENV=production
# bubblewrap confines every stdio server the gateway starts (STDIO_SANDBOX).
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app /app
COPY apps/gateway apps/gateway
# The Twikit stand-in, which the gateway starts as a stdio upstream (the one template compose offers).
COPY apps/twikit apps/twikit
USER node
EXPOSE 4000
CMD ["node", "--import", "tsx", "apps/gateway/src/main.ts"]

FROM node:24-bookworm-slim AS twikit
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app /app
COPY apps/twikit apps/twikit
USER node
EXPOSE 4100
CMD ["node", "--import", "tsx", "apps/twikit/src/main.ts"]

# Optional: the gateway and dashboard images plus uv/uvx, for operator stdio templates that run a
# Python MCP server such as the real twikit-mcp (docs/stdio-templates.md). Build with
# `--target gateway-uv` / `--target dashboard-uv`; the stages above are unchanged.
FROM gateway AS gateway-uv
USER root
COPY --from=ghcr.io/astral-sh/uv:0.8.22 /uv /uvx /usr/local/bin/
# The package cache the template's servers share; each runs as its own uid under the sandbox.
RUN install -d -m 0777 /var/cache/portcullis-uv
USER node

FROM dashboard AS dashboard-uv
USER root
COPY --from=ghcr.io/astral-sh/uv:0.8.22 /uv /uvx /usr/local/bin/
RUN install -d -m 0777 /var/cache/portcullis-uv
USER node
