# The Sluice controller image: ghcr.io/sluice-dev/sluice:<version> (manifests/controller/deployment.yaml).
#
#   docker build -t ghcr.io/sluice-dev/sluice:0.1.0 .
#
# Not built by this repository's tests or CI: their machines have no container engine. What the tests check
# instead (test/integration/manifests*Install.test.ts) is the payload of the final stage: the compiled dist/ with only
# the production node_modules runs, and it drives a rollout against a real API server with the ServiceAccount
# rights of manifests/.
#
# Three stages: "build" compiles TypeScript and bundles the controller and the dashboard page with the dev dependencies,
# "runtime-deps" installs the production dependencies alone, and the final stage holds those outputs and nothing
# else (no compiler, no sources, no npm cache). --ignore-scripts: no production dependency has an install script,
# and the one dev dependency that needs its own (the `node` package, which fetches Node 24 for machines without
# it) has nothing to do where the base image is Node 24 already.
#
# The base image is pinned by digest, the tag only saying which one it is: a tag moves (every Debian fix rebuilds
# it), so the same commit could build a different image tomorrow. Node 24.21.0, the version of the `node` dev
# dependency the tests run on. To update: `docker buildx imagetools inspect node:<version>-slim` prints the digest
# of the whole image (the index over its platforms); put it in all three FROM lines.
#
# The final stage drops the package managers the base image ships (npm, npx, corepack, yarn): the controller
# runs with node alone, and a package manager in a running controller's image is only attack surface (and CVE
# reports to triage).

FROM node:24.21.0-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6 AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY controller/bundle.ts ./controller/bundle.ts
COPY controller/src ./controller/src
COPY dashboard ./dashboard
# tsc into dist/ (type-checked), rolldown bundles the controller into dist/bundle (controller/bundle.ts says why),
# then vite bundles the dashboard page into dashboard/dist.
RUN npm run build

FROM node:24.21.0-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6 AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24.21.0-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6
# /usr/local/lib/node_modules holds npm and corepack; the bin entries are their links, and yarn's.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-v*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Found by the controller beside its code (controller/src/dashboard/assets.ts looks for dashboard/dist upwards).
COPY --from=build /src/dashboard/dist ./dashboard/dist
# ESM: Node reads "type": "module" from the nearest package.json to treat dist/**/*.js as modules.
COPY package.json ./
# The base image's unprivileged "node" user, by number so that Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 8080 3100
# V8 settings for a long-running controller whose work comes in bursts (issue 20; `npm run bench` runs with them):
# - --optimize-for-size: the old generation grows in small steps and V8 keeps the young generation at its smallest;
#   with the next option, the peak at 300 rollouts is 124 MiB instead of 258 with V8's defaults.
# - --max-semi-space-size=2 (MiB): bounds the young generation (16 MiB semi-spaces by default, kept after a burst).
#   Beside --optimize-for-size it changes nothing today (4 and 8 measured the same); it keeps the bound if a V8
#   stops pinning the young generation.
#   The price is CPU: a scavenge per MiB allocated, 4.6 s of collection at 300 rollouts against 1.3 s with V8's
#   defaults (bench/results/2026-12-01-gc-dial/), and a few ms on a promote (README, Performance).
# - --expose-gc: lets the controller run one full collection once its work queue goes quiet after a burst
#   (queue/idleCollector.ts), so that what it grew to is given back rather than kept until V8 happens to collect.
CMD ["node", "--max-semi-space-size=2", "--optimize-for-size", "--expose-gc", "dist/bundle/controller.js"]
