# The gateway and the simulators share one image; docker-compose.yml picks the command.
# test/deploy/production-layout.test.ts rebuilds the runtime stage's /app from this file without
# Docker (npm run build, npm ci --omit=dev, the COPY lines below) and starts it.
# One pinned base for both stages: the build's node_modules and dist/ meet the same Node.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src/
# The gateway (dist/main.js) and the simulators (dist/simulators/main.js), as JavaScript.
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# Production from here on: no sandbox landing page, no introspection, client auth required.
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# No compiler, test tools or npm cache in the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist/
# Files the code reads at run time, relative to itself: the SDL (src/graphql/type-defs.ts reads
# ../../schema/), and the /ops page's and the explorer's own files, which tsc does not copy (each
# module looks for them beside its compiled .js first). uPlot's, GraphiQL's and React's come from
# node_modules.
COPY schema schema/
COPY src/ops/dashboard dist/ops/dashboard/
COPY src/server/explorer/assets dist/server/explorer/assets/
# The image's unprivileged user (uid 1000); /app stays owned by root, so it cannot rewrite the code.
USER node
EXPOSE 4000 4101 4102 4103
# node is PID 1, with no init: PID 1 gets no default signal actions, and both entry points
# (src/main.ts, src/simulators/main.ts) handle SIGTERM (docker stop) and SIGINT, drain and exit 0,
# as the layout test checks with node as PID 1 of a PID namespace of its own; neither spawns
# children, so there are no zombies for an init to reap.
# Healthy: /readyz answers 200 (503 from the first moment of a drain), on the PORT the gateway uses.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The gateway as the bench's soak measures it: compiled (no tsx loader, ~50 MiB less), with V8
# collecting before its heap grows far past what survives and a young generation of 4 MiB semi-spaces
# (W3 peaks under 200 MiB with RESULT_CACHE_MAX_BYTES at its default; README, docs/performance.md).
CMD ["node", "--heap-growing-percent=30", "--max-semi-space-size=4", "dist/main.js"]
