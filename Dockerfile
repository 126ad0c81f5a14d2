# A consumer process image: `docker compose up` runs three of these against one Redis.
# tsx runs the TypeScript sources directly, so there is no build stage.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first: this layer is reused until package-lock.json changes.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

USER node
# Exec form: node is PID 1 and receives SIGTERM itself, so `docker stop` is a graceful stop
# (running jobs finish, connections close) within the compose stop_grace_period.
CMD ["node", "bin/resume-processor.js", "consumer"]
