"""The sample estate's real artefacts: pipeline and build definitions with a few stale pins
(``pipelines/``), the desired configuration as infrastructure-as-code (``iac/``) and the
migration's SQL with the table sizes it runs against (``migrations/``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_artefacts", "PIPELINE_FILES"]

PIPELINE_FILES = {
    ".github/workflows/ci.yml": """\
name: order-api CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      db:
        image: postgres:16.4          # already the target
        env: {POSTGRES_PASSWORD: ci-only}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-java@v4
        with:
          distribution: temurin
          java-version: '11'          # stale: the release needs 17
      - run: ./mvnw -B verify
""",
    "order-api/Dockerfile": """\
ARG JDK=11
FROM eclipse-temurin:${JDK}-jre-jammy AS runtime
COPY target/order-api.jar /opt/app.jar
ENTRYPOINT ["java", "-jar", "/opt/app.jar"]
""",
    "order-api/pom.xml": """\
<project>
  <modelVersion>4.0.0</modelVersion>
  <artifactId>order-api</artifactId>
  <properties>
    <java.version>17</java.version>
  </properties>
</project>
""",
    "deploy/compose.yaml": """\
services:
  orders-db:
    image: postgres:12.17
  broker:
    image: rabbitmq:3.13-management
  api:
    image: registry.example.com/orderhub/order-api:7.0.0
""",
}


def write_artefacts(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    written = []
    for name, text in PIPELINE_FILES.items():
        path = folder / "pipelines" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
