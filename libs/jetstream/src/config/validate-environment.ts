import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** Settings whose values never appear in messages or logs. */
const SECRET_SETTING = /PASSWORD|TOKEN|SECRET|CREDENTIAL|API_KEY(?!S_FILE)|_SEED/;

export function isSecretSetting(name: string): boolean {
  return SECRET_SETTING.test(name);
}

/** `nats://user:pass@host` → `nats://user:<redacted>@host`. */
function withoutUrlPasswords(text: string): string {
  return text.replace(/\/\/([^:/@\s"]*):[^@/\s"]*@/g, '//$1:<redacted>@');
}

function describe(errors: ValidationError[], env: Record<string, unknown>): string[] {
  return errors.flatMap((e) => {
    const value = env[e.property];
    const shown = value === undefined ? 'unset' : isSecretSetting(e.property) ? '<redacted>' : withoutUrlPasswords(JSON.stringify(value));
    return Object.values(e.constraints ?? {}).map((c) => `${e.property} (${shown}): ${c}`);
  });
}

/**
 * Validates environment variables once, at start-up, into a typed object.
 * Every bad value is reported at once, each with the variable and its value
 * (secrets as `<redacted>`).
 */
export function validateEnvironment<T extends object>(
  cls: new () => T,
  env: Record<string, string | undefined> = process.env,
): T {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const config = plainToInstance(cls, defined, { enableImplicitConversion: false });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigurationError(describe(errors, defined));
  return config;
}

/** Runs a configuration step; on a ConfigurationError prints it plainly and exits 1. */
export function exitOnConfigurationError<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
