"""Secrets of every class planted in configuration files never reach the store, its WAL, an
archive, an error message or the output in clear; and the key names and values that are secret."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from upgradesim.cli import cli
from upgradesim.control import read_config_dir
from upgradesim.control.secrets import is_secret_key, secret_in_value

KEY = b"k" * 32

# (file, content, the secret text that must never appear)
PLANTED = [
    ("app.yaml", "db:\n  password: Pl4nted-Yaml-Pass\n", "Pl4nted-Yaml-Pass"),
    ("app.yaml", "db:\n  dbPassphrase: Pl4nted-Camel-Phrase\n", "Pl4nted-Camel-Phrase"),
    ("svc.json", '{"service": {"API_KEY": "Pl4ntedJsonApiKey"}}', "Pl4ntedJsonApiKey"),
    (".env", "SESSION_COOKIE=Pl4ntedCookieValue\n", "Pl4ntedCookieValue"),
    (".env", "DATABASE_DSN=Pl4ntedDsnValue\n", "Pl4ntedDsnValue"),
    ("a.properties", "jdbc.url=jdbc:postgresql://app:Pl4ntedJdbcPw@db:5432/orders\n", "Pl4ntedJdbcPw"),
    ("b.properties", "broker=amqp://guest:Pl4ntedAmqpPw@mq:5672/vhost\n", "Pl4ntedAmqpPw"),
    ("c.ini", "[x]\nendpoint = https://api.example.com/v1?user=a&token=Pl4ntedQueryTok\n", "Pl4ntedQueryTok"),
    ("d.toml", 'conn = "Server=db;Database=x;User Id=sa;Password=Pl4ntedConnStr;"\n', "Pl4ntedConnStr"),
    ("e.yaml", "headers:\n  x: 'Authorization: Bearer Pl4ntedBearerTokenValue123'\n", "Pl4ntedBearerTokenValue123"),
    ("f.yaml", "tls: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIPl4ntedPemBody\n  -----END RSA PRIVATE KEY-----\n",
     "MIIPl4ntedPemBody"),
    ("g.yaml", "cloud:\n  id: AKIAIOSFODNN7PLANTED\n", "AKIAIOSFODNN7PLANTED"),
    ("h.yaml", "jwt: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQbDRudGVkIn0.c2lnbmF0dXJl\n", "eyJzdWIiOiJQbDRudGVkIn0"),
    ("i.properties", "client.secret = Pl4ntedPropSecret\n", "Pl4ntedPropSecret"),
    ("j.yaml", "opaque: 'kXz8Qp2LmN7vR4tY9wE3uI6oP1aS5dF0gHjK'\n", "kXz8Qp2LmN7vR4tY9wE3uI6oP1aS5dF0gHjK"),
]


@pytest.mark.parametrize("file, content, secret", PLANTED, ids=[p[2][:12] for p in PLANTED])
def test_each_class_is_fingerprinted(tmp_path, file, content, secret):
    root = tmp_path / "conf"
    root.mkdir()
    (root / file).write_text(content)
    entries, hashes = read_config_dir(root, KEY)
    assert any(e.secret for e in entries), entries
    assert all(secret not in e.value for e in entries)
    assert all(v.startswith("hmac:") for v in hashes.values())


def test_planted_secrets_reach_no_file_and_no_output(tmp_path):
    root = tmp_path / "conf"
    root.mkdir()
    for i, (file, content, _) in enumerate(PLANTED):
        (root / f"{i:02d}-{file.lstrip('.')}" if not file.startswith(".") else root / f"{i:02d}.env").write_text(content)
    (root / "broken.env").write_text("Pl4ntedInBrokenLine\n")
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    broken = runner.invoke(cli, ["config", "snapshot", str(root), "--env", "prod", "--tag", "t1", "--db", str(db)])
    assert broken.exit_code == 1 and "Pl4ntedInBrokenLine" not in broken.output
    (root / "broken.env").unlink()
    ok = runner.invoke(cli, ["config", "snapshot", str(root), "--env", "prod", "--tag", "t1", "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    drift = runner.invoke(cli, ["config", "drift", "--baseline-env", "prod", "--env", "prod", "--db", str(db), "--json"])
    archive = runner.invoke(cli, ["archive", "create", "--change", "C1", "--out", str(tmp_path / "arch"), "--db",
                                  str(db)])
    assert archive.exit_code == 0, archive.output
    blobs = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "conf" not in p.parts)
    outputs = "".join(r.output for r in (ok, drift, archive))
    for _, _, secret in PLANTED:
        assert secret.encode() not in blobs, secret
        assert secret not in outputs, secret


@pytest.mark.parametrize("key, secret", [
    ("password", True), ("db.Password", True), ("dbPassword", True), ("DB_PASSWORD", True), ("db-passwd", True),
    ("passphrase", True), ("client_secret", True), ("clientSecret", True), ("apiKey", True), ("API-KEY", True),
    ("access_key", True), ("privateKey", True), ("credentials", True), ("auth", True), ("cookie", True),
    ("session", True), ("dsn", True), ("connectionString", True), ("ConnStr", True), ("x.token", True),
    ("password_file", False), ("token_ttl", False), ("session_timeout", False), ("auth_method", False),
    ("port", False), ("max_connections", False), ("keyspace", False), ("monkey", False), ("tokenizer", False),
])
def test_secret_key_names(key, secret):
    assert is_secret_key(key) is secret


@pytest.mark.parametrize("value, found", [
    ("postgres://u:p4ss@h/db", True), ("jdbc:mysql://u:p4ss@h:3306/db", True), ("https://h/x?a=1&api_key=zz9", True),
    ("Bearer abcdefghijkl", True), ("-----BEGIN PRIVATE KEY-----", True), ("https://example.com/path", False),
    ("8080", False), ("order-service-production-eu", False), ("INFO", False), ("postgres://h:5432/db", False),
])
def test_secret_values(value, found):
    assert (secret_in_value(value) is not None) is found
