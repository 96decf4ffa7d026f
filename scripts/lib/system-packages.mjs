import { log, run, which } from './run.mjs';

/**
 * Debian packages some tests run: promtool (prometheus) for the alert rules,
 * tini for the container entrypoint. Installed with apt-get when missing and we
 * are root (as on CI); otherwise a clear error says what to install.
 */
export function ensureDebianPackages(wanted) {
  const missing = wanted.filter(({ bin }) => !which(bin));
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error(`missing ${missing.map((m) => m.bin).join(', ')}: install the Debian package(s) ${pkgs.join(' ')}`);
  }
  log(`installing ${pkgs.join(' ')} (apt-get)`);
  run('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkgs.join(' ')}`]);
}
