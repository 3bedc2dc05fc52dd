/**
 * `GET /services/agent/bootstrap.sh`: the POSIX sh installer of the agent (CAM's "curl … | sudo
 * bash"). The enrollment token comes in the environment (`EBCLI_ENROLL_TOKEN`), never in the URL.
 * It checks Node (≥ 18, or says what to install), downloads the agent over TLS verified with the
 * control plane's CA, checks its sha256, writes the configuration (src/agent/config.ts) and starts
 * it:
 * - as root: an unprivileged `ebcli` user, /opt/ebcli-agent (program), /etc/ebcli-agent
 *   (agent.conf, ca.pem, credential), /var/lib/ebcli-agent (state), /var/elasticbox (instances),
 *   /var/log/ebcli-agent/agent.log; a systemd unit `ebcli-agent.service` where systemd runs, else
 *   a supervised background process (pid file /var/lib/ebcli-agent/agent.pid);
 * - otherwise, for the current user, everything under `$EBCLI_AGENT_HOME` (default
 *   ~/.ebcli-agent), supervised, pid file `state/agent.pid`.
 * Settings from the environment: EBCLI_AGENT_MODE (root|user), EBCLI_AGENT_HOME, EBCLI_NODE (the
 * node binary), EBCLI_PROXY (else HTTPS_PROXY/https_proxy, which curl and the agent also honour,
 * with NO_PROXY).
 */

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface BootstrapValues {
  publicUrl: string;
  caPem: string;
  agentSha256: string;
  programPath: string;
}

export function bootstrapScript(v: BootstrapValues): string {
  return `#!/bin/sh
# ebcli agent installer, served by the control plane at ${v.publicUrl}/services/agent/bootstrap.sh
# Usage: curl … | EBCLI_ENROLL_TOKEN=<token> sh      (as root: … | sudo env EBCLI_ENROLL_TOKEN=<token> sh)
set -eu
EBCLI_URL=${q(v.publicUrl)}
EBCLI_AGENT_SHA256=${q(v.agentSha256)}
EBCLI_CA=${q(v.caPem)}

say() { printf 'ebcli-agent bootstrap: %s\\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -n "\${EBCLI_ENROLL_TOKEN:-}" ] || die "EBCLI_ENROLL_TOKEN is not set: run the command 'ebcli machines register' printed"
command -v curl >/dev/null 2>&1 || die "curl is missing: install it (Debian/Ubuntu: apt-get install curl; RHEL/Fedora: dnf install curl; Alpine: apk add curl)"

NODE=\${EBCLI_NODE:-$(command -v node 2>/dev/null || command -v nodejs 2>/dev/null || true)}
if [ -z "$NODE" ] || ! "$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' >/dev/null 2>&1; then
  found=none
  [ -n "$NODE" ] && found="$("$NODE" --version 2>/dev/null || echo unusable)"
  die "the agent needs Node.js 18 or later (found: $found). Install it: Debian 12 / Ubuntu 24.04: apt-get install nodejs; RHEL 9 / Fedora: dnf install nodejs; Alpine: apk add nodejs; elsewhere: unpack a release from https://nodejs.org/en/download and run again with EBCLI_NODE=/path/to/bin/node"
fi

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else "$NODE" -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$1"
  fi
}

mode=\${EBCLI_AGENT_MODE:-}
if [ -z "$mode" ]; then if [ "$(id -u)" = 0 ]; then mode=root; else mode=user; fi; fi
case $mode in
  root)
    [ "$(id -u)" = 0 ] || die "EBCLI_AGENT_MODE=root needs root (use sudo)"
    prog_dir=/opt/ebcli-agent; conf_dir=/etc/ebcli-agent; state_dir=/var/lib/ebcli-agent
    work_dir=/var/elasticbox; log_dir=/var/log/ebcli-agent ;;
  user)
    base=\${EBCLI_AGENT_HOME:-$HOME/.ebcli-agent}
    prog_dir=$base; conf_dir=$base; state_dir=$base/state; work_dir=$base/work; log_dir=$base ;;
  *) die "EBCLI_AGENT_MODE must be root or user" ;;
esac
log_file=$log_dir/agent.log
pid_file=$state_dir/agent.pid
# Parents made here (a host without /opt, say) stay traversable for the ebcli user; the agent's own
# folders are private.
umask 022
mkdir -p "$prog_dir" "$conf_dir" "$state_dir" "$work_dir" "$log_dir"
chmod 0700 "$conf_dir" "$state_dir" "$work_dir" "$log_dir"
umask 077

# The proxy: EBCLI_PROXY, else the environment's (curl reads HTTPS_PROXY/https_proxy/NO_PROXY itself).
proxy=\${EBCLI_PROXY:-\${HTTPS_PROXY:-\${https_proxy:-}}}
printf '%s' "$EBCLI_CA" > "$conf_dir/ca.pem"
download=$prog_dir/ebcli-agent.mjs.download
if [ -n "\${EBCLI_PROXY:-}" ]; then export HTTPS_PROXY="$EBCLI_PROXY"; fi
curl -fsS --proto '=https' --tlsv1.2 --cacert "$conf_dir/ca.pem" -o "$download" "$EBCLI_URL${v.programPath}" ||
  die "could not download the agent from $EBCLI_URL${v.programPath}"
got=$(sha256_of "$download")
if [ "$got" != "$EBCLI_AGENT_SHA256" ]; then
  rm -f "$download"
  die "the downloaded agent's sha256 is $got, expected $EBCLI_AGENT_SHA256: not installed"
fi
chmod 0755 "$prog_dir"
chmod 0644 "$download"
mv -f "$download" "$prog_dir/ebcli-agent.mjs"
say "agent downloaded, sha256 verified ($got)"

(umask 077; printf '%s\\n' "$EBCLI_ENROLL_TOKEN" > "$conf_dir/enrollment")
EBCLI_C_URL=$EBCLI_URL EBCLI_C_PROXY=$proxy EBCLI_C_CONF=$conf_dir EBCLI_C_STATE=$state_dir EBCLI_C_WORK=$work_dir EBCLI_C_LOG=$log_file \\
  "$NODE" -e '
    const e = process.env;
    const c = { url: e.EBCLI_C_URL, ca_file: e.EBCLI_C_CONF + "/ca.pem", credential_file: e.EBCLI_C_CONF + "/credential",
      enrollment_file: e.EBCLI_C_CONF + "/enrollment", workdir: e.EBCLI_C_WORK, state_dir: e.EBCLI_C_STATE, log_file: e.EBCLI_C_LOG };
    if (e.EBCLI_C_PROXY) c.proxy = e.EBCLI_C_PROXY;
    require("fs").writeFileSync(e.EBCLI_C_CONF + "/agent.conf", JSON.stringify(c, null, 2) + "\\n", { mode: 0o600 });'
conf=$conf_dir/agent.conf
program=$prog_dir/ebcli-agent.mjs

stop_previous() {
  if [ -f "$pid_file" ]; then
    old=$(cat "$pid_file" 2>/dev/null || true)
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then kill "$old" 2>/dev/null || true; sleep 1; fi
    rm -f "$pid_file"
  fi
}

# A supervisor loop: restarts the agent after a crash, not after a clean stop (0) or a refused
# configuration or enrollment (78); SIGTERM to its pid stops both.
supervisor=$prog_dir/ebcli-agent-supervise.sh
cat > "$supervisor" <<'SUPERVISE'
#!/bin/sh
node=$1; program=$2; conf=$3; log=$4; pid_file=$5
echo $$ > "$pid_file"
child=
trap 'if [ -n "$child" ]; then kill "$child" 2>/dev/null; wait "$child"; fi; rm -f "$pid_file"; exit 0' TERM INT HUP
while :; do
  "$node" "$program" --config "$conf" </dev/null >>"$log" 2>&1 &
  child=$!
  wait "$child"; rc=$?
  if [ "$rc" = 0 ] || [ "$rc" = 78 ]; then rm -f "$pid_file"; exit "$rc"; fi
  sleep 5
done
SUPERVISE
chmod 0755 "$supervisor"

if [ "$mode" = root ]; then
  if ! id ebcli >/dev/null 2>&1; then
    nologin=$(command -v nologin 2>/dev/null || echo /bin/false)
    if command -v useradd >/dev/null 2>&1; then useradd --system --home-dir "$state_dir" --no-create-home --shell "$nologin" ebcli
    elif command -v adduser >/dev/null 2>&1; then adduser -S -D -H -h "$state_dir" -s "$nologin" ebcli
    else die "cannot create the ebcli user: install useradd (Debian: apt-get install passwd)"; fi
    say "created the unprivileged user ebcli"
  fi
  chown -R ebcli "$conf_dir" "$state_dir" "$work_dir" "$log_dir"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    cat > /etc/systemd/system/ebcli-agent.service <<UNIT
[Unit]
Description=ebcli machine agent
After=network-online.target
Wants=network-online.target

[Service]
User=ebcli
ExecStart=$NODE $program --config $conf
Restart=on-failure
RestartSec=5
RestartPreventExitStatus=78

[Install]
WantedBy=multi-user.target
UNIT
    systemctl daemon-reload
    systemctl enable ebcli-agent.service >/dev/null 2>&1
    systemctl restart ebcli-agent.service
    say "installed and started the systemd unit ebcli-agent.service; log: $log_file"
    exit 0
  fi
  stop_previous
  if command -v runuser >/dev/null 2>&1; then run() { runuser -u ebcli -- "$@"; }
  else run() { su -s /bin/sh ebcli -c "$(printf "'%s' " "$@")"; }; fi
else
  stop_previous
  run() { "$@"; }
fi
if command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=; fi
# In a subshell whose stdio is replaced first: the supervisor keeps no descriptor of this script's
# caller (a pipe left open would hold "curl … | sh" until the agent stops).
(
  exec </dev/null >/dev/null 2>&1
  run $detach nohup sh "$supervisor" "$NODE" "$program" "$conf" "$log_file" "$pid_file"
) &
i=0
while [ ! -s "$pid_file" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$pid_file" ] || die "the agent supervisor did not start; see $log_file"
say "started the agent (supervisor pid $(cat "$pid_file")); configuration: $conf; log: $log_file"
`;
}
