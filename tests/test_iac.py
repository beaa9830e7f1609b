"""Drift against the desired state declared as infrastructure-as-code (issue 18.2): Terraform JSON,
rendered Kubernetes YAML and Ansible vars, on real files."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from upgradesim import api
from upgradesim.artefacts.iac import norm, read_desired
from upgradesim.cli import cli
from upgradesim.control.keys import fingerprint
from upgradesim.errors import DataError

KEY = b"k" * 32


def _config(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "app.yaml").write_text("server:\n  threads: 200\n  port: 8443\npayments:\n  api_token: tok_live_abcdef123456\n")
    (root / "db.ini").write_text("[postgresql]\nmax_connections = 400\nwork_mem = 64MB\n")
    (root / ".env").write_text("LOG_LEVEL=info\nDB_PASSWORD=hunter2-very-secret\n")
    (root / "runtime.toml").write_text('[jvm]\nheap_max = "6g"\n')
    return root


def _tf(resources, version="1.2", key="planned_values", children=()):
    return json.dumps({"format_version": version, key: {"root_module": {
        "resources": resources, "child_modules": [{"resources": list(children)}]}}})


@pytest.fixture
def env(tmp_path):
    db = tmp_path / "s.duckdb"
    api.snapshot(_config(tmp_path / "prod"), env="prod", tag="now", db=db)
    return tmp_path, db


def _drift(db, *files, **kw):
    found = api.drift(db, env="prod", desired=list(files), as_of=dt.date(2027, 3, 1), **kw)
    return [(r.file, r.key, r.change, r.desired, r.current, r.status) for r in found.differences.itertuples()], found


def test_terraform_parameters_ssm_and_files_in_child_modules(env):
    tmp, db = env
    tf = tmp / "plan.json"
    tf.write_text(_tf([
        {"address": "aws_db_parameter_group.orders", "type": "aws_db_parameter_group", "values": {
            "parameter": [{"name": "max_connections", "value": "400"}, {"name": "work_mem", "value": "128MB"},
                          {"name": "shared_buffers", "value": "(known after apply)"}]}},
        {"address": "aws_ssm_parameter.heap", "type": "aws_ssm_parameter",
         "values": {"name": "/orders/prod/jvm_heap_max", "type": "String", "value": "6g"}},
        {"address": "aws_ssm_parameter.pw", "type": "aws_ssm_parameter",
         "values": {"name": "/orders/prod/DB_PASSWORD", "type": "SecureString", "value": "rotated-secret-2027"}},
        {"address": "aws_instance.web", "type": "aws_instance", "values": {"instance_type": "m5.large"}}],
        children=[{"address": "module.cfg.local_file.app", "type": "local_file", "values": {
            "filename": "/etc/orders/app.yaml", "content": "server:\n  threads: 200\n  port: 9443\n"}}]))
    rows, found = _drift(db, tf)
    assert rows == [
        ("db.ini", "postgresql.work_mem", "changed", "128MB", "64MB", "unapproved"),
        (".env", "DB_PASSWORD", "changed", fingerprint(found_key(db), "rotated-secret-2027"),
         fingerprint(found_key(db), "hunter2-very-secret"), "unapproved"),
        ("app.yaml", "server.port", "changed", "9443", "8443", "unapproved"),
        ("app.yaml", "payments.api_token", "undeclared", None, fingerprint(found_key(db), "tok_live_abcdef123456"),
         "unapproved")]
    assert found.exit_code == 2 and found.baseline == ("desired", "plan.json")
    assert list(found.differences["declared_by"]) == [
        "plan.json: aws_db_parameter_group.orders", "plan.json: aws_ssm_parameter.pw",
        "plan.json: module.cfg.local_file.app", "plan.json: module.cfg.local_file.app"]
    assert "rotated-secret-2027" not in json.dumps(found.to_dict())


def found_key(db):
    from upgradesim.control.keys import store_key

    return store_key(db, create=False)


def test_kubernetes_configmap_secret_and_workload_env(env):
    tmp, db = env
    secret = base64.b64encode(b"hunter2-very-secret").decode()
    (tmp / "k8s.yaml").write_text(f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: cfg}}
data:
  app.yaml: |
    server:
      threads: 240
      port: 8443
    payments:
      api_token: "{{{{ .Values.token }}}}"
  LOG_LEVEL: info
---
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
data:
  DB_PASSWORD: {secret}
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: nightly}}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              env:
                - {{name: JVM_HEAP_MAX, value: 4g}}
                - {{name: FROM_SECRET, valueFrom: {{secretKeyRef: {{name: x, key: y}}}}}}
""")
    rows, found = _drift(db, tmp / "k8s.yaml")
    assert rows == [("app.yaml", "server.threads", "changed", "240", "200", "unapproved"),
                    ("runtime.toml", "jvm.heap_max", "changed", "4g", "6g", "unapproved")]
    assert list(found.differences["declared_by"]) == ["k8s.yaml:1 ConfigMap/cfg", "k8s.yaml:19 CronJob/nightly"]


def test_ansible_vars_match_any_spelling_and_report_what_is_missing(env):
    tmp, db = env
    (tmp / "vars.yml").write_text("jvm_heap_max: 6g\nMAX_CONNECTIONS: 400\nlog_level: info\nfeature_x: true\n"
                                  "templated: '{{ lookup(\"env\", \"X\") }}'\n")
    rows, found = _drift(db, tmp / "vars.yml")
    assert rows == [("", "feature_x", "missing", "true", None, "unapproved")]
    assert norm("db.pool.max") == norm("DB_POOL_MAX") == norm("db-pool_max") == "dbpoolmax"


def test_exceptions_cover_declared_drift(env, tmp_path):
    tmp, db = env
    (tmp / "vars.yml").write_text("jvm_heap_max: 8g\n")
    register = tmp / "exceptions.yaml"
    register.write_text("exceptions:\n  - {key: 'runtime.toml:jvm.*', env: prod, reason: heap trial, owner: a, "
                        "approver: b, expires: 2027-06-30}\n")
    rows, found = _drift(db, tmp / "vars.yml", exceptions=register)
    assert rows == [("runtime.toml", "jvm.heap_max", "changed", "8g", "6g", "approved")] and found.exit_code == 0


@pytest.mark.parametrize(("name", "text", "message"), [
    ("tf.json", '{"format_version": "2.0", "values": {"root_module": {}}}',
     r"tf.json: Terraform JSON format_version '2.0' is not one this reader knows \(0.x, 1.x\)"),
    ("tf.json", '{"resources": []}', "tf.json: a JSON desired state must be Terraform's"),
    ("tf.json", '{"format_version": "1.0"}', "tf.json: Terraform JSON without values.root_module"),
    ("tf.json", '{"format_version": ', r"tf.json:1: not valid JSON"),
    ("k.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {pw: 'not base64!'}\n",
     r"k.yaml:1: Secret/s data.pw: not base64 text \(the value is not shown\)"),
    ("k.yaml", "a: [1,\n", r"k.yaml:\d+: not valid YAML$"),
    ("k.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  {{- range .Values.keys }}\n  x: 1\n  {{- end }}\n",
     r"k.yaml:4: not valid YAML; an unrendered Helm template\? give the rendered manifests \(helm template, "
     r"kustomize build\)"),
    ("k.yaml", "- 1\n- 2\n", "neither Kubernetes YAML"),
    ("tf.json", '{"format_version": "1.0", "values": {"root_module": {"resources": "x"}}}',
     r"tf.json: values.root_module.resources\(='x'\): must be a list, not text"),
    ("tf.json", '{"format_version": "1.0", "values": {"root_module": {"child_modules": [null, 1]}}}',
     r"tf.json: values.root_module.child_modules\[0\]\(='None'\): must be a mapping"),
    ("tf.json", '{"format_version": "1.0", "values": {"root_module": {"resources": [{"type": "kubernetes_secret", '
     '"values": {"data": [1]}}]}}}', r"tf.json: values.root_module.resources\[0\].values.data\(='\[1\]'\): must be a "
     "mapping, not a list"),
    ("tf.json", '{"format_version": "1.0", "planned_values": 3}',
     r"tf.json: \(top\).planned_values\(='3'\): must be a mapping, not int"),
    ("tf.json", '{"format_version": "1.0", "values": ' + "[" * 50000 + "]" * 50000 + "}",
     "tf.json: nested too deeply to be a desired state"),
    ("k.yaml", "a: " + "[" * 20000 + "]" * 20000 + "\n", "k.yaml: nested too deeply to be a desired state"),
    ("k.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: [1, 2]\n",
     r"k.yaml: line 1 ConfigMap/x.data\(='\[1, 2\]'\): must be a mapping, not a list"),
    ("k.yaml", "a: 1\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: c}\nspec:\n  containers:\n  - name: a\n"
     "    env: {LOG_LEVEL: x}\n", r"k.yaml: line 3 Pod/c.spec.containers\[0\].env\(=.*\): must be a list, not a mapping"),
    ("k.yaml", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n"
     "      template: [1]\n", r"k.yaml: line 1 CronJob/c.spec.jobTemplate.spec.template\(='\[1\]'\): must be a mapping"),
    ("k.yaml", "apiVersion: v1\nkind: List\nitems: [1]\n", r"k.yaml: line 1.items\[0\]\(='1'\): must be a mapping"),
    ("vars.yml", "$ANSIBLE_VAULT;1.1;AES256\n6162636465\n",
     r"vars.yml: an Ansible Vault encrypted file; give the decrypted vars \(ansible-vault view vars.yml\)"),
    ("vars.yml", "a: !Ref x\n", r"vars.yml:1: not valid YAML: could not determine a constructor for the tag '!Ref'"),
])
def test_bad_desired_files_are_one_line_errors(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_desired(path, KEY)


def test_a_list_of_objects_and_ansible_tags_are_read(env):
    tmp, db = env
    (tmp / "list.yaml").write_text("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n"
                                   "  metadata: {name: app}\n  data: {LOG_LEVEL: debug}\n- {kind: Service}\n")
    (tmp / "vars.yml").write_text("db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n"
                                  "work_mem: !unsafe '{{ 64MB }}'\nmax_connections: 500\n")
    rows, found = _drift(db, tmp / "list.yaml", tmp / "vars.yml")
    assert rows == [(".env", "LOG_LEVEL", "changed", "debug", "info", "unapproved"),
                    ("db.ini", "postgresql.max_connections", "changed", "500", "400", "unapproved")]
    assert found.differences["declared_by"].tolist() == ["list.yaml:1 items[0] ConfigMap/app", "vars.yml: max_connections"]
    assert found.declared == 2 and found.empty == () and found.exit_code == 2  # the vaulted and unsafe values: not compared


def test_a_desired_state_that_declares_nothing_is_inconclusive(env):
    tmp, db = env
    (tmp / "tf.json").write_text(_tf([{"type": "aws_instance", "values": {"ami": "x"}}]))
    (tmp / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
    (tmp / "vars.yml").write_text("jvm_heap_max: 6g\n")
    rows, found = _drift(db, tmp / "tf.json", tmp / "svc.yaml")
    assert rows == [] and found.declared == 0 and found.exit_code == 3
    assert found.to_dict()["declares_nothing"] == [str(tmp / "tf.json"), str(tmp / "svc.yaml")]
    out = CliRunner().invoke(cli, ["config", "drift", "--env", "prod", "--desired", str(tmp / "svc.yaml"), "--db", str(db),
                                   "--as-of", "2027-03-01"])
    assert out.exit_code == 3 and out.output.splitlines()[1].startswith("INCONCLUSIVE: the desired state declares no")
    out = CliRunner().invoke(cli, ["config", "drift", "--env", "prod", "--desired", str(tmp / "svc.yaml"), "--desired",
                                   str(tmp / "vars.yml"), "--db", str(db), "--as-of", "2027-03-01"])
    assert out.exit_code == 0 and out.output.splitlines() == [
        "prod/now against desired/svc.yaml, vars.yml: 0 differences, 0 not approved (as of 2027-03-01)",
        f"  note: {tmp / 'svc.yaml'} declares no setting compared"]
    _, found = _drift(db, tmp / "vars.yml")
    assert (found.declared, found.empty, found.exit_code) == (1, (), 0)


def test_cli_desired_drift_and_its_refusals(env):
    tmp, db = env
    (tmp / "vars.yml").write_text("jvm_heap_max: 8g\n")
    runner = CliRunner()
    out = runner.invoke(cli, ["config", "drift", "--env", "prod", "--desired", str(tmp / "vars.yml"), "--db", str(db),
                              "--as-of", "2027-03-01"])
    assert out.exit_code == 2
    assert out.output.splitlines() == [
        "prod/now against desired/vars.yml: 1 differences, 1 not approved (as of 2027-03-01)",
        "  UNAPPROVED runtime.toml:jvm.heap_max declares 8g, has 6g (vars.yml: jvm_heap_max)"]
    out = runner.invoke(cli, ["config", "drift", "--env", "prod", "--desired", str(tmp / "vars.yml"),
                              "--baseline-env", "prod", "--db", str(db)])
    assert out.exit_code == 1 and "not both" in out.output
    (tmp / "vars.yml").write_text("jvm_heap_max: 6g\n")
    out = runner.invoke(cli, ["config", "drift", "--env", "prod", "--desired", str(tmp / "vars.yml"), "--db", str(db),
                              "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["differences"] == []


def test_the_sample_desired_state(tmp_path):
    from upgradesim.sample import write_sample

    folder = tmp_path / "s"
    write_sample(folder, baseline_weeks=1, post_days=1, step_min=60)
    db = folder / "s.duckdb"
    api.snapshot(folder / "config" / "prod", env="prod", tag="pre", db=db)
    iac = folder / "iac"
    found = api.drift(db, env="prod", desired=[iac / "terraform.json", iac / "k8s" / "orders.yaml",
                                                iac / "ansible" / "group_vars" / "prod.yml"],
                      exceptions=folder / "config" / "exceptions.yaml", as_of=dt.date(2027, 3, 1))
    assert [(r.file, r.key, r.status) for r in found.differences.itertuples()] == [
        ("db.ini", "postgresql.work_mem", "unapproved"), ("app.yaml", "server.threads", "approved"),
        (".env", "LOG_LEVEL", "unapproved"), ("runtime.toml", "jvm.heap_max", "unapproved")]
