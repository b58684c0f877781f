# The gateway and the simulators share one image; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The compiler and the test tools are needed to build, not to run (the simulators run with tsx,
# a runtime dependency).
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# Production from here on: no sandbox landing page, no introspection, client auth required.
ENV NODE_ENV=production
# The image's unprivileged user (uid 1000); /app stays owned by root, so it cannot rewrite the code.
USER node
EXPOSE 4000 4101 4102 4103
# The gateway as the bench's soak measures it: compiled (no tsx loader, ~50 MiB less), with V8
# collecting before its heap grows far past what survives (W3 peaks under 200 MiB; README).
CMD ["node", "--heap-growing-percent=20", "--max-semi-space-size=2", "dist/main.js"]
