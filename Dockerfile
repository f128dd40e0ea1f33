# syntax=docker/dockerfile:1
# signgate: build with the TypeScript compiler, run with production dependencies only, as a non-root numeric user,
# on a distroless Node.js runtime (no shell). `docker build -t signgate .`

# ---- build: all dependencies, compile to dist/
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY provider ./provider
RUN npm run build

# ---- deps: production dependencies only; pkcs11js (the PKCS#11 key door) is a native addon built here, so the
# compilers stay in this stage (the runtime is the same Debian 12, so the addon links against the same glibc)
FROM node:20-bookworm-slim AS deps
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm rebuild pkcs11js && npm cache clean --force

# ---- runtime: no shell, no package manager
FROM gcr.io/distroless/nodejs20-debian12:nonroot AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# crds/ (the config schemas, read at runtime) and the embedded default configuration
COPY crds ./crds
COPY config ./config
USER 65532:65532
EXPOSE 6001 8888
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/provider/src/cli/main.js", "serve"]
