# The reference in-house metrics server (`inhouse-metrics serve`), for
# docker-compose.yaml. Build context: the repository's root.
FROM golang:1.26.8-alpine3.23 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY pkg ./pkg
COPY internal ./internal
RUN CGO_ENABLED=0 go build -trimpath -o /out/inhouse-metrics ./cmd/inhouse-metrics

FROM alpine:3.23
COPY --from=build /out/inhouse-metrics /usr/local/bin/inhouse-metrics
USER nobody
EXPOSE 8080
ENTRYPOINT ["inhouse-metrics"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
