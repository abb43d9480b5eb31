# One image holding every function binary (quiz-generate, quiz-complete, snap-solve,
# tutor-chat, jeevibe, ...): the workspace shares its dependencies, so building all binaries
# costs little more than building one, and every service deploys the same digest. A service
# picks its binary with its command (Cloud Run: `--command=/usr/local/bin/<binary>`;
# Lambda container image: ImageConfig.Command). The default command is the all-in-one server.
#
#   docker build -t jeevibe .                                 # linux/amd64, for Cloud Run
#   docker buildx build --platform linux/arm64 -t jeevibe .   # arm64, for a Lambda container image
#
# Runtime: distroless/cc (glibc, libgcc, CA certificates, a nonroot user, no shell).
# docs/deploy.md has the measured sizes.

ARG RUST_VERSION=1.91
FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --workspace --bins \
    && mkdir -p /out \
    && find target/release -maxdepth 1 -type f -perm -u+x -exec cp {} /out/ \; \
    && ls -l /out

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
ENV PORT=8080 LOG_FORMAT=json
EXPOSE 8080
USER nonroot
CMD ["/usr/local/bin/jeevibe", "serve"]
