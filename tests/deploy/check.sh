#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Validates deploy/ with the tools that will read it:
#   - systemd-analyze verify of deploy/blockwatch.service, in a scratch root
#     holding the system's units and an executable where ExecStart points,
#     any warning (unknown key, bad value, a Documentation= page that is not
#     docs/blockwatch.8) counting as a failure; then
#     systemd-analyze security --offline, failing above exposure 4.0
#   - promtool check rules deploy/prometheus/alerts.yml and promtool test
#     rules tests/deploy/alerts-test.yml (the alerts fire when they should,
#     and only then); promtool check config deploy/prometheus/scrape.yml
#   - the DaemonSet parsed with python3-yaml: kind, hostPID, host mounts,
#     port, annotations, probes, tolerations, resources, capabilities
# Prints one ok/FAIL/SKIP line a check (SKIP: the tool is not installed),
# then "deploy: N passed, N failed, N skipped". Exit 1 when one failed.
set -u
cd "$(dirname "$0")/../.."

. tests/lib/tally.sh
tmp=$(mktemp -d /tmp/bw-deploy.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ok or FAIL for NAME by the status of the rest, output shown on failure.
run() {
	name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		ok "$name"
	else
		fail "$name"
		sed 's/^/     /' "$tmp/out"
	fi
}

# ---- systemd ------------------------------------------------------------------------

unit=deploy/blockwatch.service
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze verify $unit: systemd-analyze not found (Debian package systemd)"
else
	root=$tmp/root
	exe=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' $unit)
	units=
	for d in /usr/lib/systemd/system /lib/systemd/system; do
		[ -d "$d" ] && units=$d && break
	done
	if [ -z "$exe" ]; then
		fail "$unit: no ExecStart"
	elif [ -z "$units" ]; then
		skip "systemd-analyze verify $unit: no system units to verify against"
	else
		mkdir -p "$root$(dirname "$exe")" "$root/etc/systemd/system" "$root/usr/lib/systemd"
		cp -a "$units" "$root/usr/lib/systemd/"
		printf '#!/bin/sh\n' >"$root$exe"
		chmod 0755 "$root$exe"
		cp $unit "$root/etc/systemd/system/"
		name=/etc/systemd/system/$(basename $unit)
		# Documentation=man:blockwatch(8) is looked up with man: the tree's page.
		mkdir -p "$tmp/man/man8"
		cp docs/blockwatch.8 "$tmp/man/man8/"
		if MANPATH=$tmp/man systemd-analyze verify --root="$root" "$name" >"$tmp/out" 2>&1 &&
			[ ! -s "$tmp/out" ]; then
			ok "systemd-analyze verify $unit"
		else
			fail "systemd-analyze verify $unit"
			sed 's/^/     /' "$tmp/out"
		fi
		if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
			run "systemd-analyze security $unit (exposure at most 4.0)" \
				systemd-analyze security --offline=true --threshold=40 \
				--root="$root" "$name"
		else
			skip "systemd-analyze security $unit: this systemd has no --offline (v250+)"
		fi
	fi
fi

# ---- Prometheus ---------------------------------------------------------------------

if ! command -v promtool >/dev/null 2>&1; then
	skip "promtool checks: promtool not found (Debian package prometheus)"
else
	run "promtool check rules deploy/prometheus/alerts.yml" \
		promtool check rules deploy/prometheus/alerts.yml
	run "promtool test rules tests/deploy/alerts-test.yml" \
		promtool test rules tests/deploy/alerts-test.yml
	if promtool check config deploy/prometheus/scrape.yml >"$tmp/out" 2>&1; then
		ok "promtool check config deploy/prometheus/scrape.yml"
	elif grep -q 'field kubernetes_sd_configs not found' "$tmp/out"; then
		# Debian builds Prometheus without Kubernetes discovery: check the
		# rest of the file, the kubernetes job without its discovery block.
		cp deploy/prometheus/alerts.yml "$tmp/"
		sed '/^    kubernetes_sd_configs:/,/^      - role:/d' deploy/prometheus/scrape.yml \
			>"$tmp/scrape.yml"
		run "promtool check config deploy/prometheus/scrape.yml (this promtool has no
     Kubernetes discovery: checked without it)" \
			promtool check config "$tmp/scrape.yml"
	else
		fail "promtool check config deploy/prometheus/scrape.yml"
		sed 's/^/     /' "$tmp/out"
	fi
fi

# ---- Kubernetes ---------------------------------------------------------------------

py=
for p in python3 /usr/bin/python3; do
	if command -v $p >/dev/null 2>&1 && $p -c 'import yaml' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	skip "deploy/kubernetes/daemonset.yaml: no python3 with yaml (Debian package python3-yaml)"
else
	run "deploy/kubernetes/daemonset.yaml" $py - deploy/kubernetes/daemonset.yaml <<'EOF'
import sys
import yaml

errors = []


def need(cond, what):
    if not cond:
        errors.append(what)


with open(sys.argv[1]) as f:
    docs = [d for d in yaml.safe_load_all(f) if d is not None]
need(len(docs) == 1, "one document, not %d" % len(docs))
ds = docs[0]
need(ds.get("apiVersion") == "apps/v1", "apiVersion apps/v1")
need(ds.get("kind") == "DaemonSet", "kind DaemonSet")
spec = ds.get("spec", {})
tmpl = spec.get("template", {})
meta = tmpl.get("metadata", {})
pod = tmpl.get("spec", {})
labels = meta.get("labels", {})
for k, v in spec.get("selector", {}).get("matchLabels", {}).items():
    need(labels.get(k) == v, "selector label %s=%s on the pod template" % (k, v))
need(pod.get("hostPID") is True, "hostPID: true")
need(not pod.get("hostNetwork"), "no hostNetwork (Prometheus scrapes the pod)")
need(any(t.get("operator") == "Exists" and "key" not in t for t in pod.get("tolerations", [])),
     "a toleration of every taint (operator: Exists, no key)")

volumes = {v["name"]: v for v in pod.get("volumes", [])}
host_paths = {v.get("hostPath", {}).get("path"): n for n, v in volumes.items()}
for path in ("/sys/kernel/btf", "/sys/kernel/tracing", "/sys/fs/bpf", "/proc"):
    need(path in host_paths, "hostPath volume " + path)

containers = pod.get("containers", [])
need(len(containers) == 1, "one container")
c = containers[0] if containers else {}
mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
for name in mounts:
    need(name in volumes, "volumeMount %s has a volume" % name)
for path, name in host_paths.items():
    need(name in mounts, "volume %s (%s) is mounted" % (name, path))
    if path in ("/sys/kernel/btf", "/sys/kernel/tracing", "/sys/fs/bpf"):
        need(name in mounts and mounts[name].get("mountPath") == path,
             "%s mounted at the same path" % path)

args = c.get("args", [])
need("-a" in args, "args: -a (every process)")
# The root file system is read-only: --snapshot-dir must be a writable mount.
if "--snapshot-dir" in args and args.index("--snapshot-dir") + 1 < len(args):
    sdir = args[args.index("--snapshot-dir") + 1]
    need(any(m.get("mountPath") == sdir and not m.get("readOnly") for m in mounts.values()),
         "--snapshot-dir %s is a writable volume mount" % sdir)
port = None
if "--prometheus" in args and args.index("--prometheus") + 1 < len(args):
    addr = args[args.index("--prometheus") + 1]
    port = int(addr.rsplit(":", 1)[1])
need(port is not None, "args: --prometheus [ADDR]:PORT")
ports = {p.get("containerPort"): p for p in c.get("ports", [])}
need(port in ports, "containerPort %s" % port)
ann = meta.get("annotations", {})
need(ann.get("prometheus.io/scrape") == "true", "annotation prometheus.io/scrape: \"true\"")
need(ann.get("prometheus.io/port") == str(port), "annotation prometheus.io/port: \"%s\"" % port)
need(ann.get("prometheus.io/path", "/metrics") == "/metrics", "annotation prometheus.io/path")
for probe in ("readinessProbe", "livenessProbe"):
    get = c.get(probe, {}).get("httpGet", {})
    need(get.get("path") == "/metrics", probe + " on /metrics")
    need(get.get("port") in (port, ports.get(port, {}).get("name")), probe + " on the metrics port")

res = c.get("resources", {})
for kind in ("requests", "limits"):
    for r in ("cpu", "memory"):
        need(r in res.get(kind, {}), "resources.%s.%s" % (kind, r))

sc = c.get("securityContext", {})
caps = set(sc.get("capabilities", {}).get("add", []))
need(sc.get("privileged") is True or {"BPF", "PERFMON", "SYS_PTRACE"} <= caps
     or {"SYS_ADMIN", "SYS_PTRACE"} <= caps,
     "privileged, or the capabilities BPF, PERFMON and SYS_PTRACE")

for e in errors:
    print("missing or wrong: " + e)
sys.exit(1 if errors else 0)
EOF
fi

tally_end deploy
