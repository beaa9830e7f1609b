"""Answers read from the team's real artefacts: pipeline, image and build definitions (stale pins),
migration SQL (locks and rewrites), and infrastructure-as-code (the desired configuration)."""
