/**
 * The reverse of bootstrap-script.ts, for an agent the control plane installed itself (the `SSH`
 * provider's terminate): stops the agent (systemd unit or supervisor and its process group) and
 * removes the program, configuration, credential, state, log and work folders the bootstrap
 * created, and as root the `ebcli` user. Same layout and settings as the bootstrap.
 */
export function uninstallScript(instanceId: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(instanceId)) throw new Error(`bad instance id ${instanceId}`);
  return `set -u
say() { printf 'ebcli-agent uninstall: %s\\n' "$*" >&2; }
mode=\${EBCLI_AGENT_MODE:-}
if [ -z "$mode" ]; then if [ "$(id -u)" = 0 ]; then mode=root; else mode=user; fi; fi
case $mode in
  root) prog_dir=/opt/ebcli-agent; conf_dir=/etc/ebcli-agent; state_dir=/var/lib/ebcli-agent
    work_dir=/var/elasticbox; log_dir=/var/log/ebcli-agent ;;
  *) base=\${EBCLI_AGENT_HOME:-$HOME/.ebcli-agent}
    prog_dir=$base; conf_dir=$base; state_dir=$base/state; work_dir=$base/work; log_dir=$base ;;
esac
unit=/etc/systemd/system/ebcli-agent.service
if [ "$mode" = root ] && [ -f "$unit" ]; then
  systemctl disable --now ebcli-agent.service >/dev/null 2>&1 || true
  rm -f "$unit"; systemctl daemon-reload >/dev/null 2>&1 || true
fi
pid_file=$state_dir/agent.pid
if [ -s "$pid_file" ]; then
  pid=$(cat "$pid_file")
  # The supervisor leads its own process group (setsid): the agent and its scripts are in it.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL -- "-$pid" 2>/dev/null || true
fi
rm -rf "$work_dir/${instanceId}"
if [ "$mode" = root ]; then
  rm -rf "$prog_dir" "$conf_dir" "$state_dir" "$log_dir"
  rmdir "$work_dir" 2>/dev/null || say "$work_dir kept: it holds other folders"
  if id ebcli >/dev/null 2>&1; then userdel ebcli 2>/dev/null || say "could not remove the user ebcli"; fi
else
  rm -rf "$work_dir" "$base"
fi
say "agent removed"
`;
}
