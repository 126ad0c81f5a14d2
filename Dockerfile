# A resume-processor image: `docker compose up` runs three consumers and the HTTP API from it.
# The build stage compiles the TypeScript with every dependency; the final stage holds only the
# compiled dist/, the production dependencies and the bin, and runs `node dist/...` as `node`.

FROM node:20-slim AS build
WORKDIR /app
# Dependencies first: this layer is reused until package-lock.json changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/
COPY src src
RUN npm run build

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# package.json stays: "type": "module" makes dist/ ESM. The bin is what `demo` spawns consumers with.
COPY --from=build /app/dist dist
COPY bin bin
# The user owns its working directory: `export` writes snapshots under ./.harn/workers by default.
RUN chown node:node /app
USER node
# Exec form: node is PID 1 and receives SIGTERM itself, so `docker stop` is a graceful stop
# (running jobs finish, connections close) within the compose stop_grace_period.
CMD ["node", "dist/cli/main.js", "consumer"]
