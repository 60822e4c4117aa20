# syntax=docker/dockerfile:1
# One image for the Leadflow worker and the web app (docker-compose.yml picks the command).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The web app's production build and the prebuilt workflow bundle, then drop the build tools.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
# The worker by default; the web service runs web/server.ts. node directly, not npm: npm does
# not pass SIGTERM on reliably, and the worker needs it to drain before the container stops.
CMD ["node", "--import", "tsx", "worker/main.ts"]
