# The neo4j-aks image: the CLI, the operator (`neo4j-aks operator`) and, later, the backup agent.
# Published as ghcr.io/neo4j-aks/neo4j-aks:<crate version>, the image deploy/operator/ names.
# Not built on the team's machines (they have no container engine); built by the release pipeline.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# `neo4j-aks --version` names this commit; pass it where the build context has no .git:
# --build-arg NEO4J_AKS_GIT_COMMIT=$(git rev-parse HEAD) (crates/cli/build.rs).
ARG NEO4J_AKS_GIT_COMMIT=
RUN cargo build --release --locked -p neo4j-aks

# glibc and CA certificates, nothing else; runs as uid 65532 (nonroot), matching the
# restricted security context of the operator Deployment.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/neo4j-aks /usr/local/bin/neo4j-aks
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/neo4j-aks"]
CMD ["operator"]
