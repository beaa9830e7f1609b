"""Stale pins in pipeline, image and build definitions (issue 18.3), on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from upgradesim import api
from upgradesim.artefacts.pipelines import Target, judge_references
from upgradesim.artefacts.products import image_parts, satisfies, suggest
from upgradesim.artefacts.references import scan_folder
from upgradesim.cli import cli
from upgradesim.errors import DataError
from upgradesim.store import Store

PLAN = Path(__file__).parents[1] / "src" / "upgradesim" / "data" / "sample_plan.yaml"

FILES = {
    ".github/workflows/build.yml": """name: build
jobs:
  test:
    container: eclipse-temurin:11-jdk
    services:
      db:
        image: postgres:12.17-alpine
    steps:
      - uses: actions/setup-java@v4
        with:
          distribution: temurin
          java-version: '11'
      - uses: actions/setup-java@v4
        with: {java-version: "17"}
""",
    ".gitlab-ci.yml": "image: maven:3.9-eclipse-temurin-11\nservices:\n  - postgres:16.4\n  - rabbitmq:3.11-management\n",
    "app/Dockerfile": ("ARG JAVA_VERSION=11\nARG BASE=eclipse-temurin\nFROM ${BASE}:${JAVA_VERSION}-jre-focal AS runtime\n"
                       "FROM tomcat:9.0.85-jdk17-temurin\nFROM postgres:${PG_MAJOR}\nFROM runtime\nCOPY --from=runtime /a /b\n"),
    "k8s/db.yaml": ("apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n"
                    "        - name: db\n          image: docker.io/library/postgres:12\n---\nkind: ConfigMap\n"
                    "data: {image: not-an-image-key}\n"),
    "chart/values.yaml": "image:\n  registry: docker.io\n  repository: bitnami/postgresql\n  tag: 12.17.0\n",
    "chart/templates/deploy.yaml": 'image: "{{ .Values.image.repository }}:{{ .Values.tag }}"\nx: {{ y }}\n',
    ".tool-versions": "java temurin-11.0.21+9   # the team's JDK\nnodejs 20.11.0\n",
    "app/pom.xml": ("<project>\n  <properties>\n    <java.version>11</java.version>\n  </properties>\n"
                    "  <build><plugins><plugin><artifactId>x</artifactId></plugin></plugins></build>\n</project>\n"),
    "app/build.gradle": "java {\n    toolchain { languageVersion = JavaLanguageVersion.of(17) }\n}\nsourceCompatibility = '11'\n",
    "Jenkinsfile": "pipeline {\n  agent { docker { image 'ubuntu:focal' } }\n  tools {\n    jdk 'jdk-11'\n  }\n}\n",
    "bin/tool.dockerfile": None,  # binary: written as bytes below
    "README.md": "FROM postgres:9 is only prose\n",
}


@pytest.fixture
def ci(tmp_path) -> Path:
    root = tmp_path / "ci"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            path.write_bytes(b"FROM \x00\x01\x02 binary")
        else:
            path.write_text(text)
    return root


def test_every_stale_pin_with_its_line_and_suggestion(ci):
    found = api.pipelines(PLAN, [ci])
    rows = {(r.file, r.line, r.found): (r.component.split(", ")[0], r.kind, r.required, r.suggestion, r.status)
            for r in found.references.itertuples()}
    assert rows == {
        ("ci/.github/workflows/build.yml", 4, "11"): ("app-jvm", "image", "17.0.12+7", "container: eclipse-temurin:17-jdk", "stale"),
        ("ci/.github/workflows/build.yml", 7, "12.17"): ("orders-db", "image", "16.4", "image: postgres:16.4-alpine", "stale"),
        ("ci/.github/workflows/build.yml", 12, "11"): ("app-jvm", "setup action", "17.0.12+7", "java-version: '17'", "stale"),
        ("ci/.github/workflows/build.yml", 14, "17"): ("app-jvm", "setup action", "17.0.12+7", "", "ok"),
        ("ci/.gitlab-ci.yml", 1, "11"): ("app-jvm", "image", "17.0.12+7", "image: maven:3.9-eclipse-temurin-17", "stale"),
        ("ci/.gitlab-ci.yml", 3, "16.4"): ("orders-db", "image", "16.4", "", "ok"),
        ("ci/.gitlab-ci.yml", 4, "3.11"): ("order-broker", "image", "3.13.7", "- rabbitmq:3.13-management", "stale"),
        ("ci/app/Dockerfile", 3, "11"): ("app-jvm", "image", "17.0.12+7", "FROM eclipse-temurin:17-jre-focal AS runtime", "stale"),
        ("ci/app/Dockerfile", 3, "focal (20.04)"): ("host-os", "image", "22.04", "FROM eclipse-temurin:11-jre-jammy AS runtime", "stale"),
        ("ci/app/Dockerfile", 4, "17"): ("app-jvm", "image", "17.0.12+7", "", "ok"),
        ("ci/app/Dockerfile", 4, "9.0.85"): ("servlet-container", "image", "10.1.28", "FROM tomcat:10.1.28-jdk17-temurin", "stale"),
        ("ci/app/Dockerfile", 5, "${PG_MAJOR}"): ("orders-db", "image", "16.4", "give the build argument a default, or pin 16.4", "unknown"),
        ("ci/k8s/db.yaml", 8, "12"): ("orders-db", "image", "16.4", "image: docker.io/library/postgres:16", "stale"),
        ("ci/chart/values.yaml", 4, "12.17.0"): ("orders-db", "image", "16.4", "tag: 16.4.0", "stale"),
        ("ci/.tool-versions", 1, "11.0.21+9"): ("app-jvm", "tool version", "17.0.12+7", "java temurin-17.0.12   # the team's JDK", "stale"),
        ("ci/app/pom.xml", 3, "11"): ("app-jvm", "build setting", "17.0.12+7", "<java.version>17</java.version>", "stale"),
        ("ci/app/build.gradle", 2, "17"): ("app-jvm", "build setting", "17.0.12+7", "", "ok"),
        ("ci/app/build.gradle", 4, "11"): ("app-jvm", "build setting", "17.0.12+7", "sourceCompatibility = '17'", "stale"),
        ("ci/Jenkinsfile", 2, "focal (20.04)"): ("host-os", "image", "22.04", "agent { docker { image 'ubuntu:jammy' } }", "stale"),
        ("ci/Jenkinsfile", 4, "11"): ("app-jvm", "tool version", "17.0.12+7", "jdk 'jdk-17'", "stale"),
    }
    assert found.skipped == {"ci/bin/tool.dockerfile": "binary"}
    assert len(found.stale) == 15 and len(found.unknown) == 1 and found.exit_code == 2


def test_exit_codes_follow_the_worst_reference(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM postgres:16.4\n")
    assert api.pipelines(PLAN, [tmp_path / "a"]).exit_code == 0
    (tmp_path / "a" / "Dockerfile").write_text("FROM postgres:latest\n")
    done = api.pipelines(PLAN, [tmp_path / "a"])
    assert done.exit_code == 3 and done.unknown["found"].tolist() == ["latest"]
    (tmp_path / "a" / "Dockerfile").write_text("FROM nothing-we-upgrade:1\n")
    assert len(api.pipelines(PLAN, [tmp_path / "a"]).references) == 0
    with pytest.raises(DataError, match="no such folder or file"):
        api.pipelines(PLAN, [tmp_path / "missing"])


def test_package_pins_by_purl_with_ranges():
    targets = [Target(("web",), "nodejs", "nodejs", "20.11.0"),
               Target(("lib",), "tomcat-catalina", None, "10.1.28", ("maven", "org.apache.tomcat/tomcat-catalina")),
               Target(("cli",), "requests", None, "2.32.3", ("pypi", "requests")),
               Target(("ui",), "react", None, "18.3.1", ("npm", "react"))]
    from upgradesim.artefacts.references import gradle, package_json, requirements

    refs = [*package_json("package.json", json.dumps({"engines": {"node": ">=14 <18"}, "dependencies": {
        "react": "^18.2.0", "left-pad": "1.0.0"}}, indent=1)),
        *requirements("requirements.txt", "requests==2.31.0  # pinned\nflask>=2\nrequests[socks]>=2.0,<3\n"),
        *gradle("build.gradle", "implementation 'org.apache.tomcat:tomcat-catalina:9.0.85'\n")]
    rows = [(r["file"], r["line"], r["found"], r["status"]) for r in judge_references(refs, targets)]
    assert rows == [("package.json", 3, ">=14 <18", "stale"), ("package.json", 6, "^18.2.0", "ok"),
                    ("requirements.txt", 1, "==2.31.0", "stale"), ("requirements.txt", 3, ">=2.0,<3", "ok"),
                    ("build.gradle", 1, "9.0.85", "stale")]


MANIFESTS = {
    "infra/main.tf": """resource "aws_db_instance" "orders" {
  engine         = "postgres"
  engine_version = "12.17"   # pinned
  tags = { team = "orders" }
}

resource "aws_rds_cluster" "reports" {
  engine_version = "16.4"
  engine         = "aurora-postgresql"
}
resource "aws_elasticache_cluster" "c" {
  engine = "redis"
  engine_version = "6.2"
}
resource "kubernetes_deployment" "api" {
  spec {
    container {
      image = "python:3.9-slim" // "}" in a comment
    }
  }
}
resource "aws_db_instance" "templated" {
  engine         = "postgres"
  engine_version = "${var.pg_version}"
}
""",
    "gradle/libs.versions.toml": """[versions]
pg = "42.2.5"

[libraries]
postgres = { module = "org.postgresql:postgresql", version.ref = "pg" }
driver2 = { group = "org.postgresql", name = "postgresql", version = { strictly = "42.7.4" } }
other = "com.x:y:1.0"
""",
    "svc/pyproject.toml": """[project]
name = "svc"
requires-python = ">=3.8,<3.11"
dependencies = ["requests>=2", "psycopg2 (<2.9)"]

[tool.poetry.dependencies]
python = "^3.12"
requests = {version = "~2.31"}
""",
    "svc/go.mod": "module x\n\ngo 1.20\ntoolchain go1.22.3\n",
    "svc/global.json": '{\n  "sdk": {\n    "version": "6.0.100"\n  }\n}\n',
    "broken/pyproject.toml": "[project\n",
    "broken/libs.versions.toml": "= nope",
}


CI_VARIABLES = {
    ".github/workflows/ci.yml": """name: ci
env:
  PG: "12"
jobs:
  build:
    strategy:
      matrix:
        java: [11, 17]
        include:
          - java: 21
    services:
      db:
        image: postgres:${{ env.PG }}
      cache:
        image: postgres:${{ matrix.pg || '16.4' }}
    steps:
      - uses: actions/setup-java@v4
        with: {distribution: temurin, java-version: "${{ matrix.java }}"}
  other:
    env: {PG: "16.4"}
    container: postgres:$PG
    steps:
      - uses: actions/setup-java@v4
        with: {java-version: "${{ matrix.java }}"}
""",
    ".gitlab-ci.yml": """variables:
  PG_VERSION: "12.17"
  JDK: {value: "11", description: "the JDK"}
test:
  image: eclipse-temurin:${JDK}-jre
  services:
    - name: postgres:$PG_VERSION
      alias: db
    - name: postgres:$UNDEFINED
""",
    "Dockerfile": "FROM postgres:${PG}\n",
    "deploy/docker-compose.yml": "services:\n  db:\n    image: ${REGISTRY:-registry12.example.com}/postgres:${PG_TAG:-12}\n"
                                 "  app:\n    image: eclipse-temurin:${JDK}-jre\n  web:\n    image: postgres:${NOPE-}\n",
    "deploy/.env": "# the compose project's variables\nJDK=11\n",
}


def test_ci_variables_and_matrices_are_filled_in_and_reported_where_defined(tmp_path):
    for name, text in CI_VARIABLES.items():
        (tmp_path / "ci" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "ci" / name).write_text(text)
    done = api.pipelines(PLAN, [tmp_path / "ci"])
    rows = [(r.file, r.line, r.kind, r.found, r.status, r.suggestion) for r in done.references.itertuples()]
    assert rows == [
        ("ci/.github/workflows/ci.yml", 3, "image", "12", "stale", 'PG: "16"'),  # env at the top, its line
        ("ci/.github/workflows/ci.yml", 8, "setup action", "11", "stale", "java: [17, 17]"),  # each matrix value
        ("ci/.github/workflows/ci.yml", 8, "setup action", "17", "ok", ""),
        ("ci/.github/workflows/ci.yml", 10, "setup action", "21", "stale", "- java: 17"),  # 21 does not admit 17
        ("ci/.github/workflows/ci.yml", 15, "image", "16.4", "ok", ""),  # the expression's fallback
        ("ci/.github/workflows/ci.yml", 20, "image", "16.4", "ok", ""),  # the job's own env wins
        ("ci/.github/workflows/ci.yml", 24, "setup action", "${{ matrix.java }}", "unknown", "pin 17.0.12+7"),
        ("ci/.gitlab-ci.yml", 2, "image", "12.17", "stale", 'PG_VERSION: "16.4"'),
        ("ci/.gitlab-ci.yml", 3, "image", "11", "stale", 'JDK: {value: "17", description: "the JDK"}'),
        ("ci/.gitlab-ci.yml", 9, "image", "$UNDEFINED", "unknown", "define the variable in the file, or pin 16.4"),
        ("ci/Dockerfile", 1, "image", "${PG}", "unknown", "give the build argument a default, or pin 16.4"),
        ("ci/deploy/docker-compose.yml", 3, "image", "12", "stale",  # the tag's 12, not the registry's
         "image: ${REGISTRY:-registry12.example.com}/postgres:${PG_TAG:-16}"),
        ("ci/deploy/docker-compose.yml", 5, "image", "11", "stale", "pin 17.0.12+7"),  # JDK from .env
        ("ci/deploy/docker-compose.yml", 7, "image", "${NOPE-}", "unknown", "define the variable in the file, or pin 16.4"),
    ]


def test_a_matrix_of_matrices_is_cut_at_fifty_values():
    from upgradesim.artefacts.civars import MAX_EXPANSIONS, context, expand

    text = "jobs:\n  a:\n    strategy:\n      matrix: {x: [" + ", ".join(map(str, range(10))) + "], y: [" + ", ".join(
        map(str, range(10))) + "]}\n"
    import yaml

    job = yaml.compose(text).value[0][1].value[0][1]
    ctx = context(job, {}, text.splitlines())
    found = expand("v${{ matrix.x }}.${{ matrix.y }}", ctx)
    assert len(found) == MAX_EXPANSIONS == 50 and found[:2] == [("v0.0", None), ("v0.1", None)]
    assert expand("v${{ matrix.z }}", ctx) == [("v${{ matrix.z }}", None)]
    assert expand("plain", ctx) == [("plain", None)]


def test_terraform_python_gradle_catalog_go_and_dotnet_pins(tmp_path):
    for name, text in MANIFESTS.items():
        (tmp_path / "m" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "m" / name).write_text(text)
    refs, skipped = scan_folder(tmp_path / "m", "m")
    targets = [Target(("db",), "postgresql", "postgresql", "16.4"), Target(("py",), "python", "python", "3.12.7"),
               Target(("go",), "go", "go", "1.22.5"), Target(("net",), "dotnet", "dotnet", "8.0.401"),
               Target(("cache",), "redis", "redis", "7.2.5"),
               Target(("jdbc",), "pgjdbc", None, "42.7.4", ("maven", "org.postgresql/postgresql")),
               Target(("http",), "requests", None, "2.32.3", ("pypi", "requests"))]
    rows = [(r["file"], r["line"], r["kind"], r["found"], r["status"], r["suggestion"])
            for r in judge_references(refs, targets)]
    assert skipped == {}
    assert rows == [
        ("m/gradle/libs.versions.toml", 2, "dependency", "42.2.5", "stale", 'pg = "42.7.4"'),
        ("m/gradle/libs.versions.toml", 6, "dependency", "42.7.4", "ok", ""),
        ("m/infra/main.tf", 3, "engine version", "12.17", "stale", 'engine_version = "16.4"   # pinned'),
        ("m/infra/main.tf", 8, "engine version", "16.4", "ok", ""),
        ("m/infra/main.tf", 13, "engine version", "6.2", "stale", 'engine_version = "7.2"'),
        ("m/infra/main.tf", 18, "image", "3.9", "stale", 'image = "python:3.12-slim" // "}" in a comment'),
        ("m/svc/global.json", 3, "tool version", "6.0.100", "stale", '"version": "8.0.401"'),
        ("m/svc/go.mod", 3, "tool version", "1.20", "stale", "go 1.22"),
        ("m/svc/go.mod", 4, "tool version", "1.22.3", "stale", "toolchain go1.22.5"),
        ("m/svc/pyproject.toml", 3, "engine", ">=3.8,<3.11", "stale", 'requires-python = ">=3.12"'),
        ("m/svc/pyproject.toml", 4, "dependency", ">=2", "ok", ""),
        ("m/svc/pyproject.toml", 7, "engine", "^3.12", "ok", ""),
        ("m/svc/pyproject.toml", 8, "dependency", "~2.31", "stale", 'requests = {version = "~2.32"}'),
    ]


@pytest.mark.parametrize(("found", "target", "ecosystem", "expected"), [
    ("17", "17.0.12+7", None, True), ("17.0", "17.0.12", None, True), ("17.1", "17.0.12", None, False),
    ("11", "17", None, False), ("18", "17.0.1", None, False), ("latest", "1.0", None, None), ("", "1", None, None),
    ("^16.0.0", "20.11.0", "npm", False), ("~20.11.0", "20.11.5", "npm", True), (">=3.8,<3.11", "3.12", "pypi", False),
    ("[9.0,11.0)", "10.1.28", "maven", True), ("?!", "1.0", "npm", None),
])
def test_satisfies(found, target, ecosystem, expected):
    assert satisfies(found, target, ecosystem) is expected


@pytest.mark.parametrize(("ref", "expected"), [
    ("postgres", ("postgres", None)), ("postgres:16.4", ("postgres", "16.4")),
    ("postgres:16@sha256:abc", ("postgres", "16")), ("postgres@sha256:abc", ("postgres", None)),
    ("localhost:5000/app", ("app", None)), ("localhost:5000/app:1.2", ("app", "1.2")),
    ("ghcr.io/x:2", ("x", "2")), ("registry.example.com/team/app:3", ("team/app", "3")),
    ("my.app:1", ("my.app", "1")), ("library/redis:7", ("redis", "7")), ("docker.io/library/redis", ("redis", None)),
    ("Team/App:1", ("team/app", "1")), ("host/library/x:1", ("host/library/x", "1")),  # "host" is no registry: no dot, port or localhost
])
def test_image_parts_exactly(ref, expected):
    assert image_parts(ref) == expected


@pytest.mark.parametrize(("repository", "alias", "expected"), [
    ("bitnami/postgresql", "bitnami/postgresql", True), ("mirror/bitnami/postgresql", "bitnami/postgresql", True),
    ("notbitnami/postgresql", "bitnami/postgresql", False), ("postgres", "bitnami/postgresql", False),
    ("postgres", "postgres", True), ("mirror/postgres", "postgres", True), ("team/app/postgres", "postgres", True),
    ("postgresql", "postgres", False), ("postgres/exporter", "postgres", False),
])
def test_image_matches_exactly(repository, alias, expected):
    from upgradesim.artefacts.products import image_matches

    assert image_matches(repository, alias) is expected


@pytest.mark.parametrize(("poetry", "pep440"), [
    ("^1.2.3", ">=1.2.3,<2"), ("^0.2.3", ">=0.2.3,<0.3"), ("^0.0.3", ">=0.0.3,<0.0.4"), ("^0", ">=0,<1"),
    ("^0.0", ">=0.0,<0.1"), ("^3.8", ">=3.8,<4"), ("~1", ">=1,<2"), ("~1.2", ">=1.2,<1.3"), ("~1.2.3", ">=1.2.3,<1.3"),
    (">=1", ">=1"), ("^1.x", "^1.x"), ("~=1.2", "~=1.2"),
])
def test_poetry_constraints_as_pep440(poetry, pep440):
    from upgradesim.artefacts.products import _poetry

    assert _poetry(poetry) == pep440


@pytest.mark.parametrize(("found", "target", "ecosystem", "suggested"), [
    ("^16.0.0", "20.11.0", "npm", "^20.11.0"), ("~16.0.0", "20.11.0", "npm", "~20.11.0"),
    (">=14 <18", "20.11.0", "npm", ">=20"), (">=3.8,<3.11", "3.12.7", "pypi", ">=3.12"), ("^3.8", "3.12.7", "pypi", "^3.12"),
    ("~2.31", "2.32.3", "pypi", "~2.32"), ("~=3.8", "3.12.7", "pypi", ">=3.12"), ("==2.31.0", "2.32.3", "pypi", "==2.32.3"),
    ("==1.0,!=1.1", "2.0.1", "pypi", ">=2.0"), ("[9.0,10.0)", "10.1.28", "maven", "[10.1.28,)"),
    ("11", "17.0.12+7", None, "17"), ("12.17.0", "16.4", None, "16.4.0"), ("latest", "16.4", None, "16.4"),
    ("^1", "next", "npm", "next"), (">=14", "20.11.0", None, "20.11.0"), ("1.2", "2", "docker", "2.0"),
])
def test_suggest_keeps_the_pins_kind_and_precision(found, target, ecosystem, suggested):
    assert suggest(found, target, ecosystem) == suggested


def test_image_parts_and_suggest():
    assert image_parts("registry.example.com:5000/library/postgres:12-alpine@sha256:abc") == ("postgres", "12-alpine")
    assert image_parts("localhost/a/b") == ("a/b", None)
    assert image_parts("bitnami/postgresql:16") == ("bitnami/postgresql", "16")
    assert suggest("11", "17.0.12+7") == "17" and suggest("12.17", "16.4") == "16.4" and suggest("x", "1.2") == "1.2"
    assert suggest("1.2.3.4", "2.0") == "2.0.0.0"


def test_hostile_files_are_skipped_or_read_never_a_traceback(tmp_path):
    root = tmp_path / "h"
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "Dockerfile").write_text("FROM postgres:9\n")  # vendored: not ours
    (root / "big.yaml").write_bytes(b"a: " + b"x" * (3 * 1024 * 1024))
    (root / "latin1.yml").write_bytes(b"image: postgres:9 # caf\xe9\n")
    (root / "package.json").write_text("{not json")
    (root / "Dockerfile").write_text("FROM\nFROM --platform=$BUILDPLATFORM postgres:${V:-13} AS b\nARG\n")
    refs, skipped = scan_folder(root, "h")
    assert skipped == {"h/big.yaml": "larger than 2097152 bytes", "h/latin1.yml": "not UTF-8 text"}
    assert [(r.file, r.line, r.name) for r in refs] == [("h/Dockerfile", 2, "postgres:13")]


def test_an_unreadable_file_is_skipped_and_the_rest_scanned(tmp_path, monkeypatch):
    root = tmp_path / "h"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM postgres:12\n")
    (root / "compose.yaml").write_text("services: {db: {image: 'postgres:13'}}\n")
    real = Path.read_bytes

    def refuse(self):  # as an unprivileged user meets a file of another's
        if self.name == "Dockerfile":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    refs, skipped = scan_folder(root, "h")
    assert skipped == {"h/Dockerfile": "cannot read: Permission denied"}
    assert [(r.file, r.name) for r in refs] == [("h/compose.yaml", "postgres:13")]


def test_an_alias_bomb_costs_its_size_and_deep_nesting_is_skipped(tmp_path):
    root = tmp_path / "h"
    root.mkdir()
    bomb = ['a: &a [{image: "postgres:12"}, {image: "postgres:12"}, {image: "postgres:12"}]']
    bomb += [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcdefghijk", "bcdefghijkl", strict=True)]
    (root / "bomb.yml").write_text("\n".join(bomb) + "\nlast:\n  image: postgres:16.4\n")  # 3 * 9**11 images
    (root / "deep.yaml").write_text("a: " + "[" * 20000 + "]" * 20000 + "\n")
    (root / "package.json").write_text('{"dependencies": ' + "[" * 50000 + "]" * 50000 + "}")
    refs, skipped = scan_folder(root, "h")
    assert skipped == {"h/deep.yaml": "nested too deeply", "h/package.json": "nested too deeply"}
    assert sorted({(r.line, r.name) for r in refs}) == [(1, "postgres:12"), (14, "postgres:16.4")]
    assert len(refs) == 4  # the three written on line 1 and the last: each node once, not once per alias


def test_cli_and_store(ci, tmp_path):
    db = tmp_path / "s.duckdb"
    out = CliRunner().invoke(cli, ["pipelines", str(PLAN), str(ci), "--db", str(db)])
    assert out.exit_code == 2, out.output
    assert out.output.startswith("15 stale, 1 unknown, 4 up to date references in")
    assert "STALE   ci/app/pom.xml:3 app-jvm build setting 11 -> 17.0.12+7\n            suggest: <java.version>17" in out.output
    assert "skipped ci/bin/tool.dockerfile: binary" in out.output
    with Store(db, must_exist=True) as store:
        stored = store.pipeline_findings()
    assert len(stored) == 16 and set(stored["status"]) == {"stale", "unknown"}
    assert stored.iloc[0][["file", "line"]].tolist() == ["ci/.github/workflows/build.yml", 4]
    out = CliRunner().invoke(cli, ["pipelines", str(PLAN), str(ci), "--json", "--all"])
    doc = json.loads(out.output)
    assert out.exit_code == 2 and doc["counts"] == {"stale": 15, "unknown": 1, "ok": 4} and len(doc["references"]) == 20
    out = CliRunner().invoke(cli, ["pipelines", str(tmp_path / "nope.yaml"), str(ci)])
    assert out.exit_code == 1 and "nope.yaml" in out.output and "Traceback" not in out.output


def test_the_cab_pack_lists_the_newest_scan_and_makes_it_a_condition(ci, tmp_path):
    from types import SimpleNamespace

    import pandas as pd

    from upgradesim.plan import load_plan
    from upgradesim.report.data import pipeline_table
    from upgradesim.report.decision import decide

    db = tmp_path / "s.duckdb"
    plan = load_plan(PLAN)
    assert pipeline_table(plan, str(db)).empty
    api.pipelines(PLAN, [ci], db=db)
    (ci / "app" / "pom.xml").unlink()
    api.pipelines(PLAN, [ci], db=db)  # the newest scan replaces the previous one
    table = pipeline_table(plan, str(db))
    assert len(table) == 15 and list(table.columns) == ["file", "line", "component", "found", "required",
                                                        "suggestion", "status"]
    assert "ci/app/pom.xml" not in set(table["file"])
    cab = SimpleNamespace(readiness=None, rollout=None, checks=pd.DataFrame(), strategy="rolling", pipelines=table)
    decision = decide(None, cab)
    assert decision.conditions == [
        "14 pipeline or build definitions still pin an old version and 1 more pins no version that can be checked "
        "(for example ci/.github/workflows/build.yml line 4: 11, needs 17.0.12+7); update them before the window, "
        "or staging and production will not build what was tested."]
    tail = "update them before the window, or staging and production will not build what was tested."
    one_stale = table[table["status"] == "stale"].head(1)
    unknown_rows = table[table["status"] == "unknown"]
    assert len(unknown_rows) == 1
    cab.pipelines = pd.concat([one_stale, unknown_rows, unknown_rows])
    assert decide(None, cab).conditions == [
        "1 pipeline or build definition still pins an old version and 2 more pin no version that can be checked (for "
        f"example ci/.github/workflows/build.yml line 4: 11, needs 17.0.12+7); {tail}"]
    cab.pipelines = table[table["status"] == "unknown"]
    unknown = cab.pipelines.iloc[0]
    assert decide(None, cab).conditions == [
        "1 pipeline or build definition pins no version that can be checked against the target (for example "
        f"{unknown['file']} line {unknown['line']}: {unknown['found']}, needs {unknown['required']}); {tail}"]
    cab.pipelines = one_stale
    assert decide(None, cab).conditions[0].startswith("1 pipeline or build definition still pins an old version (")
