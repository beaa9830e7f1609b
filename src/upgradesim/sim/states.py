"""A node's in-service states during a replication."""

OLD, NEW, OUT, BAD = 0, 1, 2, 3  # BAD: back in rotation after a failed attempt, not yet detected
