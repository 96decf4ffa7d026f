import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, ROOT, run, which } from './run.mjs';

export const TOOLS_BIN = join(ROOT, '.tools', 'bin');

/**
 * Infrastructure binaries pinned as Go tool dependencies, built with `go build`.
 * Jaeger has a module of its own (tools/jaeger): in one module with helm, Go's
 * minimal version selection lifts shared OpenTelemetry packages past what
 * Jaeger v1.76 compiles with.
 */
export const TOOLS = {
  'nats-server': { pkg: 'github.com/nats-io/nats-server/v2', module: 'github.com/nats-io/nats-server/v2', dir: 'tools' },
  nats: { pkg: 'github.com/nats-io/natscli/nats', module: 'github.com/nats-io/natscli', dir: 'tools' },
  helm: { pkg: 'helm.sh/helm/v4/cmd/helm', module: 'helm.sh/helm/v4', dir: 'tools' },
  jaeger: { pkg: 'github.com/jaegertracing/jaeger/cmd/jaeger', module: 'github.com/jaegertracing/jaeger', dir: 'tools/jaeger' },
};

function pinnedVersion(module) {
  const tool = Object.values(TOOLS).find((t) => t.module === module);
  const gomod = readFileSync(join(ROOT, tool.dir, 'go.mod'), 'utf8');
  const m = gomod.match(new RegExp(`^\\s*${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} (v\\S+)`, 'm'));
  if (!m) throw new Error(`${tool.dir}/go.mod does not pin ${module}`);
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
      run(go, ['build', '-o', TOOLS_BIN + '/', TOOLS[name].pkg], { cwd: join(ROOT, TOOLS[name].dir) });
      writeFileSync(stampOf(name), `${TOOLS[name].module}@${version}\n`);
      paths[name] = join(TOOLS_BIN, name);
    } catch (err) {
      if (isRequired) throw err;
      log(`could not build ${name} (${err.message}); continuing without it`);
    }
  }
  return paths;
}
