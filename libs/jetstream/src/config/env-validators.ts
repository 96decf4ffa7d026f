import { accessSync, constants, statSync } from 'node:fs';
import { registerDecorator, type ValidationArguments } from 'class-validator';
import type { NatsConnectionOptions } from '../connection/nats-connection.js';
import { plaintextAuthProblems } from '../connection/transport-security.js';

/** A path to a readable regular file (certificates, keys): a wrong path fails at start-up, not at the first connect. */
export function IsReadableFile() {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isReadableFile',
      target: target.constructor,
      propertyName: property,
      options: { message: `${property} must name a readable file` },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          try {
            accessSync(value, constants.R_OK);
            return statSync(value).isFile();
          } catch {
            return false;
          }
        },
      },
    });
}

/** Sets of connection options the environment object builds; validated together with the URL they use. */
interface ConnectionSource {
  connectionOptions(): NatsConnectionOptions;
  deadLetterConnectionOptions(): NatsConnectionOptions | undefined;
}

/**
 * On NATS_URL: no password or token in plaintext to a non-loopback host, for
 * the main and the dead-letter credentials (see `plaintextAuthProblems`).
 */
export function NoPlaintextAuth() {
  const problems = (args: ValidationArguments) => {
    const source = args.object as ConnectionSource;
    const options = [source.connectionOptions(), source.deadLetterConnectionOptions()];
    return [...new Set(options.flatMap((o) => (o ? plaintextAuthProblems(o) : [])))];
  };
  return (target: object, property: string) =>
    registerDecorator({
      name: 'noPlaintextAuth',
      target: target.constructor,
      propertyName: property,
      options: { message: (args: ValidationArguments) => problems(args).join('; ') },
      validator: { validate: (_value: unknown, args: ValidationArguments) => problems(args).length === 0 },
    });
}
