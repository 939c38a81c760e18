# Grafana with this plugin installed, for docker-compose.yaml. The plugin
# is built here, so a machine with Docker alone can run the demo. Build
# context: the repository's root.
#
# The build stages run on the builder's own platform (--platform=
# $BUILDPLATFORM): the frontend is the same JavaScript everywhere, and Go
# cross-compiles the backend for the platform Grafana's image runs on
# (TARGETARCH), so nothing runs under emulation.

# The frontend: module.js, plugin.json with its version and date filled in,
# the logo, screenshots, README, LICENSE and CHANGELOG, as `npm run build`
# writes them into dist/. The Node version CI builds with.
FROM --platform=$BUILDPLATFORM node:20.20.2-bookworm-slim AS frontend
WORKDIR /src
# npm ci's postinstall runs scripts/fence-node-modules.mjs.
COPY package.json package-lock.json ./
COPY scripts/fence-node-modules.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json vite.config.ts README.md LICENSE CHANGELOG.md ./
COPY src ./src
# The settings, names and identity rules Go and TypeScript share.
COPY pkg/models/*.json ./pkg/models/
# plugin.json's screenshots, copied into dist/ by the build.
COPY docs/img ./docs/img
RUN npm run build

# The backend, built by the SDK's mage target as ./scripts/package builds
# it: named from plugin.json's executable as gpx_..._linux_<arch>, with the
# build info and go_plugin_build_manifest beside it in dist/.
FROM --platform=$BUILDPLATFORM golang:1.26.8-alpine3.23 AS backend
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
# Magefile.go and what the build reads: package.json (the version),
# src/plugin.json (the plugin id and executable name).
COPY Magefile.go package.json ./
COPY src/plugin.json ./src/
COPY internal ./internal
COPY pkg ./pkg
ARG TARGETARCH
# The build cache outlives the layer, so a rebuild after a change to the
# code compiles only what changed.
RUN --mount=type=cache,target=/root/.cache/go-build \
    go run github.com/magefile/mage@v1.17.2 -v build:custom linux "$TARGETARCH"

# Inside plugin.json's grafanaDependency; the version the frontend is built
# against.
FROM grafana/grafana:13.2.2
COPY --from=frontend /src/dist /var/lib/grafana/plugins/inhouse-metrics-datasource
COPY --from=backend /src/dist /var/lib/grafana/plugins/inhouse-metrics-datasource
