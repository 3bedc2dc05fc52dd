import { spawn } from 'node:child_process';

/** The console's address on a control plane, or an instance's page there (CAM's `/#/instances/{id}/{name}`). */
export function consoleUrl(baseUrl: string, instance?: { id: string; name: string }): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (!instance) return `${base}/`;
  return `${base}/#/instances/${encodeURIComponent(instance.id)}/${encodeURIComponent(instance.name)}`;
}

/** Whether a browser can be shown: always on macOS and Windows, with X11 or Wayland elsewhere. */
export function hasDisplay(env: NodeJS.ProcessEnv = process.env, platform = process.platform): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** The desktop's "open this URL" command. */
function opener(platform = process.platform): [string, string[]] {
  if (platform === 'darwin') return ['open', []];
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""']];
  return ['xdg-open', []];
}

/**
 * Hands the URL to the desktop's opener, detached (the browser outlives the command). Resolves
 * false when the opener cannot be started or exits with a failure within its first second.
 */
export function openInBrowser(url: string): Promise<boolean> {
  const [command, args] = opener();
  return new Promise((resolve) => {
    const child = spawn(command, [...args, url], { detached: true, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, 1000);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
