"""Secrets by class, not by list: a key whose name says secret, or a value that carries a credential
whatever its key. Whatever is found is stored only as a keyed fingerprint.

Key names are split into words in any case and separator style (``dbPassword``, ``DB_PASSWORD``,
``db.password``, ``db-password``) and matched against secret words; a name whose last word says it
holds something else about the secret (``password_file``, ``token_ttl``) is not a secret itself.
Values are checked for credentials in URLs of any scheme (``jdbc:`` included), credential query
or connection-string parameters, ``Authorization``/``Bearer``/``Basic`` headers, PEM private keys,
and by detect-secrets' detectors (cloud keys, tokens, JWTs, high-entropy strings).
"""

from __future__ import annotations

import functools
import re

__all__ = ["is_secret_key", "secret_in_value", "SECRET_WORDS"]

SECRET_WORDS = {"password", "passwd", "pwd", "pass", "passphrase", "secret", "secrets", "token", "tokens", "apikey",
                "credential", "credentials", "auth", "authorization", "cookie", "cookies", "session", "dsn",
                "connectionstring", "privatekey", "accesskey", "secretkey", "clientsecret", "signature", "signingkey",
                "encryptionkey", "masterkey", "sas", "bearer", "otp", "pin"}
_PAIRS = {("api", "key"): "apikey", ("access", "key"): "accesskey", ("private", "key"): "privatekey",
          ("secret", "key"): "secretkey", ("client", "secret"): "clientsecret", ("connection", "string"):
          "connectionstring", ("signing", "key"): "signingkey", ("encryption", "key"): "encryptionkey",
          ("master", "key"): "masterkey", ("conn", "str"): "connectionstring"}
# a last word that describes the secret rather than holding it
_ABOUT = {"file", "path", "dir", "location", "timeout", "ttl", "enabled", "enable", "disabled", "length", "size",
          "count", "max", "min", "expiry", "expires", "lifetime", "duration", "interval", "mode", "type", "name",
          "algorithm", "policy", "provider", "method", "endpoint", "url", "uri", "format", "version", "required",
          "retries", "limit", "age", "seconds", "minutes", "hours", "days", "header", "prefix", "rotation", "strength",
          "complexity", "store", "manager", "backend", "source", "id", "user", "username", "field", "env", "var"}

_URL_USERINFO = re.compile(r"[a-z][a-z0-9+.\-]*:(?:[a-z0-9+.\-]+:)*//[^/\s:@?#]*:[^/\s@?#]+@", re.I)
_QUERY = re.compile(r"(?:^|[?&;,\s])(?:password|passwd|pwd|pass|secret|token|access_token|refresh_token|api_?key|"
                    r"apikey|auth|sig|signature|client_secret|sharedaccesskey|accountkey|x-amz-signature)=[^&;\s]+",
                    re.I)
_HEADER = re.compile(r"\b(?:authorization|proxy-authorization)\s*[:=]\s*\S+|\b(?:bearer|basic|digest|negotiate)\s+"
                     r"[A-Za-z0-9._~+/=\-]{8,}", re.I)
_PEM = re.compile(r"-----BEGIN [A-Z ]*(?:PRIVATE KEY|CERTIFICATE REQUEST|ENCRYPTED)[A-Z ]*-----")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _words(key: str) -> list[str]:
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", key):
        words.extend(w.lower() for w in _CAMEL.findall(part))
    return words


def is_secret_key(key: str) -> bool:
    """True when the key's last path segment names a secret (see the module text)."""
    last = re.split(r"[.\[\]:/]", key.strip("]"))[-1] if key else key
    words = _words(last or key)
    if not words:
        return False
    joined = set(words)
    joined |= {v for (a, b), v in _PAIRS.items() for i in range(len(words) - 1) if words[i] == a and words[i + 1] == b}
    joined.add("".join(words))
    if not joined & SECRET_WORDS:
        return False
    return words[-1] not in _ABOUT or words[-1] in SECRET_WORDS


@functools.lru_cache(maxsize=1)
def _detectors() -> tuple:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    skip = {"IPPublicDetector", "KeywordDetector"}  # an address is not a secret; keys are judged above
    return tuple(cls() for cls in get_mapping_from_secret_type_to_class().values() if cls.__name__ not in skip)


def secret_in_value(value: str) -> str | None:
    """The kind of credential ``value`` carries, or None."""
    if not value or len(value) < 6:
        return None
    if _URL_USERINFO.search(value):
        return "credentials in a URL"
    if _QUERY.search(value):
        return "a credential parameter"
    if _HEADER.search(value):
        return "an authorization header"
    if _PEM.search(value):
        return "a PEM private key"
    for line in (value, f'"{value}"'):  # quoted: detect-secrets' entropy checks look at quoted strings
        for detector in _detectors():
            found = next(iter(detector.analyze_line(filename="config", line=line, line_number=1)), None)
            if found is not None:
                return found.type
    return None
