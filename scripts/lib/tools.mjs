import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, ROOT, run, which } from './run.mjs';

export const TOOLS_BIN = join(ROOT, '.tools', 'bin');

/** Infrastructure binaries pinned in tools/go.mod (module → version), built with `go build`. */
export const TOOLS = {
  'nats-server': { pkg: 'github.com/nats-io/nats-server/v2', module: 'github.com/nats-io/nats-server/v2' },
  nats: { pkg: 'github.com/nats-io/natscli/nats', module: 'github.com/nats-io/natscli' },
  helm: { pkg: 'helm.sh/helm/v4/cmd/helm', module: 'helm.sh/helm/v4' },
  jaeger: { pkg: 'github.com/jaegertracing/jaeger/cmd/jaeger', module: 'github.com/jaegertracing/jaeger' },
};

function pinnedVersion(module) {
  const gomod = readFileSync(join(ROOT, 'tools', 'go.mod'), 'utf8');
  const m = gomod.match(new RegExp(`^\\s*${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} (v\\S+)`, 'm'));
  if (!m) throw new Error(`tools/go.mod does not pin ${module}`);
  return m[1];
}

const stampOf = (name) => join(TOOLS_BIN, `.${name}.version`);

function upToDate(name) {
  const stamp = stampOf(name);
  const want = `${TOOLS[name].module}@${pinnedVersion(TOOLS[name].module)}`;
  return existsSync(join(TOOLS_BIN, name)) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want;
}

/**
 * Builds the named tools into .tools/bin when missing or at another version.
 * Returns name → absolute path. Without Go, a nats-server on PATH is the fallback;
 * optional tools that cannot be had are left out (the caller says what that costs).
 */
export function ensureTools(required, optional = []) {
  const paths = {};
  const go = which('go');
  for (const name of [...required, ...optional]) {
    const isRequired = required.includes(name);
    if (upToDate(name)) {
      paths[name] = join(TOOLS_BIN, name);
      continue;
    }
    if (!go) {
      const onPath = which(name);
      const message = `Go is not installed, so ${name} ${pinnedVersion(TOOLS[name].module)} cannot be built from tools/go.mod`;
      if (onPath) {
        log(`${message}; using ${onPath} from PATH instead (version not checked)`);
        paths[name] = onPath;
        continue;
      }
      if (isRequired) throw new Error(`${message}, and no ${name} is on PATH. Install Go ≥ 1.24 (https://go.dev/dl) and retry.`);
      log(`${message}; continuing without it`);
      continue;
    }
    const version = pinnedVersion(TOOLS[name].module);
    log(`building ${name} ${version} into .tools/bin (first time only; cached by Go afterwards)`);
    mkdirSync(TOOLS_BIN, { recursive: true });
    try {
      run(go, ['build', '-o', TOOLS_BIN + '/', TOOLS[name].pkg], { cwd: join(ROOT, 'tools') });
      writeFileSync(stampOf(name), `${TOOLS[name].module}@${version}\n`);
      paths[name] = join(TOOLS_BIN, name);
    } catch (err) {
      if (isRequired) throw err;
      log(`could not build ${name} (${err.message}); continuing without it`);
    }
  }
  return paths;
}
