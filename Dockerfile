# syntax=docker/dockerfile:1
# The sidecar's image: built with the dev dependencies, run with the production ones only.
#   docker build -t odoo-distribution-connector .
#   docker run --env-file .env -v odc-data:/data -v "$PWD/partners.json:/config/partners.json:ro" \
#     -p 127.0.0.1:8787:8787 odoo-distribution-connector
# (README, "Deployment with containers"; not built on the machine where it was written: no
# Docker engine there. test/deploy/container.test.ts checks its structure.)

FROM node:20-bookworm AS build
WORKDIR /app
# better-sqlite3 is a native module: the full image has python3, make and g++ if no prebuilt
# binary fits.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY sidecar ./sidecar
COPY contracts ./contracts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=128" \
    ODC_HOST=0.0.0.0 \
    ODC_PORT=8787 \
    ODC_DB_PATH=/data/odc.sqlite \
    ODC_PARTNERS_FILE=/config/partners.json
WORKDIR /app
# What the bundle reads at run time: package.json (it finds the project root by it), the
# contracts it validates against, the store's migrations, and the production node_modules.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/contracts ./contracts
COPY --from=build /app/sidecar/migrations ./sidecar/migrations
COPY --from=build /app/sidecar/migrations-pg ./sidecar/migrations-pg
RUN mkdir -p /data /config && chown node:node /data
# The official image's unprivileged user (uid 1000).
USER node
VOLUME ["/data"]
EXPOSE 8787
# Healthy = able to work (/readyz: store writable, migrations applied, Odoo answers and logs
# the integration user in); /healthz would only say the process answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ODC_PORT || 8787) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 itself (exec form, no shell, no npm): `docker stop` sends it SIGTERM.
STOPSIGNAL SIGTERM
CMD ["node", "dist/odc.mjs", "serve"]
