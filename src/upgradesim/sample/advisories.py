"""A small OSV feed and KEV catalogue for the sample estate (``advisories/``). The entries are
made up for the sample — ids ``SAMPLE-*`` and aliases ``CVE-2099-*`` — in the real formats."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["write_advisories"]

OSV = [
    {"id": "SAMPLE-2026-0001", "aliases": ["CVE-2099-1001"], "summary": "Request smuggling in the HTTP connector",
     "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
     "affected": [{"package": {"ecosystem": "Maven", "name": "tomcat"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "9.0.0"}, {"fixed": "9.0.90"},
                                                               {"introduced": "10.1.0"}, {"fixed": "10.1.25"}]}]}]},
    {"id": "SAMPLE-2026-0002", "aliases": ["CVE-2099-1002"], "summary": "Remote code execution in the TLS handshake",
     "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
     "affected": [{"package": {"ecosystem": "Debian", "name": "openssl"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.1.1"}, {"last_affected": "1.1.1w"}]}]}]},
    {"id": "SAMPLE-2026-0003", "aliases": ["CVE-2099-1003"], "summary": "Lua sandbox escape",
     "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"}],
     "affected": [{"package": {"ecosystem": "Debian", "name": "redis"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "6.2.0"}, {"fixed": "6.2.16"}]}]}]},
    {"id": "SAMPLE-2026-0004", "aliases": ["CVE-2099-1004"], "summary": "Privilege escalation through a crafted extension",
     "database_specific": {"severity": "HIGH"},
     "affected": [{"package": {"ecosystem": "Debian", "name": "postgresql"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "12.0"}, {"fixed": "12.20"},
                                                               {"introduced": "16.0"}, {"fixed": "16.2"}]}]}]},
]
KEV = ("cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,"
       "knownRansomwareCampaignUse,notes\n"
       "CVE-2099-1001,Apache,Tomcat,Request smuggling (sample),2026-10-01,sample entry,Apply updates,2026-10-22,"
       "Unknown,\n"
       "CVE-2099-1002,OpenSSL,OpenSSL,TLS handshake RCE (sample),2026-11-02,sample entry,Apply updates,2026-11-23,"
       "Known,\n")


def write_advisories(folder: Path) -> list[Path]:
    out = folder / "advisories" / "osv"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for adv in OSV:
        path = out / f"{adv['id']}.json"
        path.write_text(json.dumps(adv, indent=2) + "\n")
        paths.append(path)
    kev = folder / "advisories" / "kev.csv"
    kev.write_text(KEV)
    return [*paths, kev]
