# syntax=docker/dockerfile:1
# wiscan's image: one static binary, its policies and profiles embedded, on
# a distroless base with no shell, run as a non-root numeric user (the
# chart's runAsUser).
#
#   docker build --build-arg VERSION=$(git describe --tags --exact-match) -t wiscan .
#
# Without a VERSION (an untagged build) the binary reports <release>-dev
# (version.Of): the build context holds no .git to take a revision from.

ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/wiscan ./cmd/wiscan

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/wiscan /wiscan
USER 65532:65532
ENTRYPOINT ["/wiscan"]
CMD ["scan"]
