// `npm run dlq -- …`: the dead-letter CLI. Against the local stack (`npm start`) it runs as the
// `dlq` NATS user from .data/dlq.env unless NATS credentials are already in the environment.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DLQ_CLI_ENV_FILE } from './lib/local-stack.mjs';
import { ROOT } from './lib/run.mjs';

const configured = ['NATS_USER', 'NATS_TOKEN', 'NATS_CREDS_FILE'].some((k) => process.env[k]);
if (!configured && existsSync(DLQ_CLI_ENV_FILE)) process.loadEnvFile(DLQ_CLI_ENV_FILE);
await import(join(ROOT, 'dist', 'apps', 'producer', 'src', 'dlq-cli.js'));
