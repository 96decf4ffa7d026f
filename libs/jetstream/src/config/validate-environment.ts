import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** Variables whose values are secrets: reported as set, never shown. */
const SECRET_NAME = /PASSWORD|TOKEN|SECRET|CREDENTIAL|API_KEY(?!S_FILE)|_SEED/;

/** A value as an error message may show it: secrets hidden, credentials in URLs (`nats://user:pass@host`) masked. */
export function redactValue(name: string, value: unknown): string {
  if (value === undefined) return 'unset';
  if (SECRET_NAME.test(name)) return '<redacted>';
  return JSON.stringify(value).replace(/(\/\/)[^/@\s",]*@/g, '$1<redacted>@');
}

function describe(errors: ValidationError[], env: Record<string, unknown>): string[] {
  return errors.flatMap((e) => {
    const shown = redactValue(e.property, env[e.property]);
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
