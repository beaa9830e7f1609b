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


MIGRATION_FILES = {
    "001_orders_7_0.sql": """\
-- OrderHub 7.0 schema migration (PostgreSQL 16)
SET lock_timeout = '5s';

CREATE TABLE order_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id);

ALTER TABLE orders ADD COLUMN channel varchar(20);
ALTER TABLE orders ALTER COLUMN channel SET DEFAULT 'web';

-- blocks every write to orders while it builds: should be CONCURRENTLY
CREATE INDEX orders_customer_created ON orders (customer_id, created_at);

CREATE INDEX CONCURRENTLY order_lines_sku ON order_lines (sku);
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_fk
    FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
ALTER TABLE order_lines VALIDATE CONSTRAINT order_lines_order_fk;
""",
    "table_sizes.csv": """\
table,rows,bytes,index_bytes
orders,120000000,64000000000,21000000000
order_lines,410000000,98000000000,35000000000
customers,9000000,4100000000,900000000
""",
}


IAC_FILES = {
    # `terraform show -json` of the database's parameter group and the pool size in SSM
    "terraform.json": """\
{
  "format_version": "1.0",
  "terraform_version": "1.9.5",
  "values": {
    "root_module": {
      "resources": [
        {"address": "aws_db_parameter_group.orders", "mode": "managed", "type": "aws_db_parameter_group",
         "name": "orders", "values": {"family": "postgres16", "name": "orders-prod",
           "parameter": [{"apply_method": "pending-reboot", "name": "max_connections", "value": "400"},
                         {"apply_method": "immediate", "name": "work_mem", "value": "128MB"}]},
         "sensitive_values": {"parameter": [{}, {}]}},
        {"address": "aws_ssm_parameter.pool_max", "mode": "managed", "type": "aws_ssm_parameter", "name": "pool_max",
         "values": {"name": "/orders/prod/pool.max", "type": "String", "value": "50"}, "sensitive_values": {}}
      ]
    }
  }
}
""",
    # `helm template orders ./chart -f values-prod.yaml`, trimmed to the configuration it renders
    "k8s/orders.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata: {name: orders-config, namespace: orders}
data:
  app.yaml: |
    server:
      port: 8443
      threads: 240
      tls_min: "1.2"
    features:
      new_checkout: false
      discount_engine: v6
    payments:
      api_token: ${PAYMENTS_TOKEN}
      timeout_ms: 3000
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: order-api, namespace: orders}
spec:
  template:
    spec:
      containers:
        - name: order-api
          image: registry.example.com/orderhub/order-api:7.0.0
          env:
            - {name: LOG_LEVEL, value: warn}
            - {name: REGION, value: eu-west}
""",
    "ansible/group_vars/prod.yml": """\
# Ansible group variables of the production hosts
jvm_heap_max: 8g
tomcat_max_threads: 200
pool_min: 10
""",
}


def write_artefacts(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    written = []
    for name, text in IAC_FILES.items():
        path = folder / "iac" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    for name, text in MIGRATION_FILES.items():
        path = folder / "migrations" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    for name, text in PIPELINE_FILES.items():
        path = folder / "pipelines" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
