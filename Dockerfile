# MAOS Codex on the official Node.js 24 LTS image. Build: docker build -t maos-codex .
# Run:   docker run --env-file .env -p 8000:8000 -v maos-data:/app/data maos-codex
# The relay listens on every interface of the container (MAOS_BIND=0.0.0.0) so -p can reach it; then
# /heartbeat and /status need MAOS_RELAY_TOKEN (in .env), while /health and /metrics stay open.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 ships prebuilt binaries for this platform; the toolchain is only a fallback build path.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ git openssh-client \
  && rm -rf /var/lib/apt/lists/*
# bin/: npm ci runs the postinstall (bin/installNode.js), which does nothing on this Node 24.
COPY package.json package-lock.json ./
COPY bin ./bin
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
# git: the vault is a git repository; openssh-client: ssh-keygen for signed vault commits.
RUN apt-get update && apt-get install -y --no-install-recommends git openssh-client tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production MAOS_HOME=/app/data PORT=8000 MAOS_BIND=0.0.0.0
COPY --from=deps /app/node_modules ./node_modules
COPY package.json charter.yml manifest.yml ./
COPY bin ./bin
COPY src ./src
COPY commands ./commands
COPY stacks ./stacks
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8000
# /health answers 503 while the bot cannot write its ledger (the cause is in the body): unhealthy then.
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "src/main.ts"]
