"""Which product a reference in a pipeline, image or build file names, and whether the version it
pins satisfies the plan's target.

A product family groups the names one product goes by: its endoflife.date ids, container image
repositories, ``.tool-versions``/Jenkins tool names and GitHub setup action. A plan component
belongs to a family by its ``product`` or ``lifecycle`` id; a component without a family is still
found by its own or its product's name as an image repository's last segment
(``registry.example.com/shop/order-api:6.4.2``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FAMILIES", "Family", "family_of", "image_parts", "leading_version", "satisfies", "suggest",
           "CODENAMES", "java_hint"]


@dataclass(frozen=True)
class Family:
    """Built when the module is imported; its fields are sets so that lookups are exact."""

    name: str
    products: frozenset[str]  # endoflife.date ids and product names in plans
    images: frozenset[str] = frozenset()  # repositories without registry host and library/
    tools: frozenset[str] = frozenset()  # .tool-versions, Jenkins tools, single-version files
    setup: str | None = None  # GitHub action owner/name whose `with` sets the version
    setup_key: str | None = None


FAMILIES: tuple[Family, ...] = (
    Family("java",
           products=frozenset({"adoptopenjdk", "amazon-corretto", "azul-zulu", "corretto", "eclipse-temurin",
                               "ibm-semeru", "java", "jdk", "microsoft-build-of-openjdk", "openjdk", "oracle-jdk",
                               "sapmachine", "temurin", "zulu"}),
           images=frozenset({"adoptopenjdk", "amazoncorretto", "azul/zulu-openjdk",
                             "bellsoft/liberica-openjdk-debian", "bellsoft/liberica-openjre-debian",
                             "eclipse-temurin", "ibm-semeru-runtimes", "openjdk", "sapmachine"}),
           tools=frozenset({"java", "jdk", "openjdk", "temurin"}),
           setup="actions/setup-java", setup_key="java-version"),
    Family("postgresql",
           products=frozenset({"postgres", "postgresql"}),
           images=frozenset({"bitnami/postgresql", "cloudnative-pg/postgresql", "postgis/postgis", "postgres",
                             "postgresql", "timescale/timescaledb"}),
           tools=frozenset({"postgres", "postgresql"})),
    Family("python",
           products=frozenset({"cpython", "python"}),
           images=frozenset({"bitnami/python", "python"}),
           tools=frozenset({"python"}),
           setup="actions/setup-python", setup_key="python-version"),
    Family("nodejs",
           products=frozenset({"node", "node.js", "nodejs"}),
           images=frozenset({"bitnami/node", "node"}),
           tools=frozenset({"node", "nodejs"}),
           setup="actions/setup-node", setup_key="node-version"),
    Family("go",
           products=frozenset({"go", "golang"}),
           images=frozenset({"golang"}),
           tools=frozenset({"go", "golang"}),
           setup="actions/setup-go", setup_key="go-version"),
    Family("dotnet",
           products=frozenset({".net", "dotnet", "dotnet-core"}),
           images=frozenset({"dotnet/aspnet", "dotnet/runtime", "dotnet/sdk"}),
           tools=frozenset({"dotnet"}),
           setup="actions/setup-dotnet", setup_key="dotnet-version"),
    Family("tomcat",
           products=frozenset({"apache-tomcat", "tomcat"}),
           images=frozenset({"bitnami/tomcat", "tomcat"}),
           tools=frozenset()),
    Family("nginx",
           products=frozenset({"nginx"}),
           images=frozenset({"bitnami/nginx", "nginx", "nginxinc/nginx-unprivileged"}),
           tools=frozenset()),
    Family("rabbitmq",
           products=frozenset({"rabbitmq"}),
           images=frozenset({"bitnami/rabbitmq", "rabbitmq"}),
           tools=frozenset()),
    Family("redis",
           products=frozenset({"redis"}),
           images=frozenset({"bitnami/redis", "redis", "redis/redis-stack-server"}),
           tools=frozenset({"redis"})),
    Family("mysql",
           products=frozenset({"mysql"}),
           images=frozenset({"bitnami/mysql", "mysql", "mysql/mysql-server"}),
           tools=frozenset({"mysql"})),
    Family("mariadb",
           products=frozenset({"mariadb"}),
           images=frozenset({"bitnami/mariadb", "mariadb"}),
           tools=frozenset()),
    Family("mongodb",
           products=frozenset({"mongo", "mongodb"}),
           images=frozenset({"bitnami/mongodb", "mongo", "mongodb/mongodb-community-server"}),
           tools=frozenset({"mongodb"})),
    Family("elasticsearch",
           products=frozenset({"elasticsearch"}),
           images=frozenset({"bitnami/elasticsearch", "elasticsearch", "elasticsearch/elasticsearch"}),
           tools=frozenset()),
    Family("kafka",
           products=frozenset({"apache-kafka", "kafka"}),
           images=frozenset({"apache/kafka", "bitnami/kafka"}),
           tools=frozenset()),
    Family("keycloak",
           products=frozenset({"keycloak"}),
           images=frozenset({"bitnami/keycloak", "jboss/keycloak", "keycloak/keycloak"}),
           tools=frozenset()),
    Family("ubuntu",
           products=frozenset({"ubuntu"}),
           images=frozenset({"ubuntu"}),
           tools=frozenset()),
    Family("debian",
           products=frozenset({"debian"}),
           images=frozenset({"debian"}),
           tools=frozenset()),
    Family("alpine",
           products=frozenset({"alpine", "alpine-linux"}),
           images=frozenset({"alpine"}),
           tools=frozenset()),
    Family("httpd",
           products=frozenset({"apache-http-server", "httpd"}),
           images=frozenset({"bitnami/apache", "httpd"}),
           tools=frozenset()),
    Family("maven",
           products=frozenset({"apache-maven", "maven"}),
           images=frozenset({"maven"}),
           tools=frozenset({"maven"})),
    Family("gradle",
           products=frozenset({"gradle"}),
           images=frozenset({"gradle"}),
           tools=frozenset({"gradle"})),
)

CODENAMES = {"ubuntu": {"bionic": "18.04", "focal": "20.04", "jammy": "22.04", "noble": "24.04"},
             "debian": {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13"}}

_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")
_JAVA_HINT = re.compile(r"(?:^|[-_.])(?:eclipse-temurin|temurin|openjdk|jdk|jre|corretto|java|zulu|semeru)[-_]?(\d+)"
                        r"(?=$|[-_.])", re.I)


def family_of(product: str) -> Family | None:
    product = product.lower()
    return next((f for f in FAMILIES if product in f.products), None)


def image_parts(ref: str) -> tuple[str, str | None]:
    """(repository without registry host and ``library/``, tag or None); a digest is dropped."""
    ref = ref.split("@", 1)[0]
    name, tag = ref, None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        name, tag = ref[:colon], ref[colon + 1:]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts[:1] == ["library"]:
        parts = parts[1:]
    return "/".join(parts).lower(), tag


def image_matches(repository: str, alias: str) -> bool:
    if "/" in alias:
        return repository == alias or repository.endswith("/" + alias)
    return repository.rsplit("/", 1)[-1] == alias


def leading_version(text: str) -> str | None:
    """The version a pin starts with: ``17-jre-alpine`` -> ``17``, ``v1.2.3`` -> ``1.2.3``."""
    found = _VERSION.match(text.strip())
    return found.group(1) if found else None


def java_hint(tag: str) -> str | None:
    """The Java major a tag carries beside another product's version (``9.0.85-jdk11-temurin``)."""
    found = _JAVA_HINT.search(tag)
    return found.group(1) if found else None


def _core(version: str) -> list[int]:
    found = _VERSION.match(version)
    return [int(x) for x in found.group(1).split(".")] if found else []


def satisfies(found: str, target: str, ecosystem: str | None = None) -> bool | None:
    """True when the pin ``found`` admits the target version: the same version, a prefix of it
    (``17`` admits ``17.0.12``) or, for npm/PyPI/Maven ranges, a range containing it. None when
    ``found`` says no version (``latest``, an unresolved variable)."""
    text = found.strip()
    if ecosystem and _RANGE.search(text):
        return _in_range(_poetry(text) if ecosystem == "pypi" else text, target, ecosystem)
    have, want = _core(text), _core(target)
    if not have or not want:
        return None
    return want[:len(have)] == have


_RANGE = re.compile(r"[\^~<>=*,|\[\]()]|\s-\s|\.x\b")


def _poetry(text: str) -> str:
    """Poetry's ``^``/``~`` constraints as PEP 440 ranges (``^3.8`` -> ``>=3.8,<4``, ``^0.2.3`` ->
    ``>=0.2.3,<0.3``, ``~2.31`` -> ``>=2.31,<2.32``); any other text as it is."""
    m = re.fullmatch(r"([\^~])(\d+(?:\.\d+)*)", text)
    if not m:
        return text
    parts = [int(x) for x in m.group(2).split(".")]
    if m.group(1) == "^":
        at = next((i for i, x in enumerate(parts) if x), len(parts) - 1)
    else:
        at = min(1, len(parts) - 1)  # ~1 bumps the major, ~1.2 and ~1.2.3 the minor
    upper = parts[:at] + [parts[at] + 1]
    return f">={m.group(2)},<{'.'.join(map(str, upper))}"


def _in_range(text: str, target: str, ecosystem: str) -> bool | None:
    from univers import version_range as vr
    from univers import versions as vv

    kinds = {"npm": (vr.NpmVersionRange, vv.SemverVersion), "pypi": (vr.PypiVersionRange, vv.PypiVersion),
             "maven": (vr.MavenVersionRange, vv.MavenVersion)}
    if ecosystem not in kinds:
        return None
    range_cls, version_cls = kinds[ecosystem]
    try:
        return version_cls(".".join(str(x) for x in _core(target)) or target) in range_cls.from_native(text)
    except Exception:  # noqa: BLE001 - univers raises many types for a range it cannot read: no answer
        return None


def suggest(found: str, target: str, ecosystem: str | None = None) -> str:
    """The target written with the pin's precision: ``11`` -> ``17``, ``12.17.0`` -> ``16.4.0``;
    a range as a range of its kind admitting the target (``>=3.8,<3.11`` -> ``>=3.12``,
    ``^16.0.0`` -> ``^20.11.0``, ``[9.0,10.0)`` -> ``[10.1.28,)``)."""
    have, want = _core(found), _core(target)
    text = found.strip()
    if ecosystem in ("npm", "pypi", "maven") and want and _RANGE.search(text):
        full, minor = ".".join(map(str, want)), ".".join(map(str, want[:2]))
        if ecosystem == "maven":
            return f"[{full},)"
        if text.startswith("==") and "," not in text:
            return "==" + full
        if text[0] in "^~" and not text.startswith("~="):
            return text[0] + (full if ecosystem == "npm" else minor)
        return f">={want[0] if ecosystem == 'npm' else minor}"
    if not have or not want:
        return ".".join(str(x) for x in want) or target
    return ".".join(str(x) for x in (want + [0] * len(have))[:len(have)])
