# syntax=docker/dockerfile:1
# wiscan's image: one static binary, its policies and profiles embedded, on
# a distroless base with no shell, run as a non-root numeric user (the
# chart's runAsUser).
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t wiscan .

ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/wiscan ./cmd/wiscan

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/wiscan /wiscan
USER 65532:65532
ENTRYPOINT ["/wiscan"]
CMD ["scan"]
