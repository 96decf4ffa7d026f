import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildTopology, ValidationFailedError } from '#contracts';
import {
  connectNats,
  DeadLetterNotFoundError,
  DeadLetterService,
  exitOnConfigurationError,
  JetStreamEnvironment,
  JetStreamPublisher,
  parseDeadLetterQuery,
  ReplayRefusedError,
  validateEnvironment,
  type DeadLetter,
} from '#jetstream';
import { jetstreamManager } from '@nats-io/jetstream';

const USAGE = `usage: npm run dlq -- <command> [options]

  list   [filters] [--limit N] [--after SEQ] [--json]   dead letters, oldest first
  show   <id> [--json]                                  one record with payload and headers
  replay <id> [--payload-file FILE] [--force]           republish (FILE: edited JSON payload; --force: again)
  replay --all [filters] [--dry-run] [--force]          replay every match (skips records replayed before)
  purge  <id>                                           delete one record
  purge  --all [filters] [--dry-run]                    delete every match (needs a filter, or --everything)
  rejected [--limit N] [--after SEQ] [--json]           advisories the router refused, with the reason

filters: --stream S  --consumer C  --subject SUBJ (wildcards ok)  --since RFC3339  --until RFC3339  --reason TEXT
NATS connection and topology come from the same environment variables as the apps (NATS_URL, ...);
DLQ_NATS_USER/DLQ_NATS_PASSWORD/DLQ_NATS_CREDS_FILE, when set, are used instead of NATS_USER/...
To look at the raw streams use the nats CLI: nats stream view DLQ, nats stream info DLQ_ADVISORIES.`;

class UsageError extends Error {}

const OPTIONS = {
  stream: { type: 'string' },
  consumer: { type: 'string' },
  subject: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  reason: { type: 'string' },
  limit: { type: 'string' },
  after: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  everything: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  'payload-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function line(v: DeadLetter): string {
  return `${String(v.id).padStart(6)}  ${v.lastFailureAt}  ${`${v.stream}/${v.consumer}`.padEnd(24)} ${v.subject.padEnd(28)} ${v.kind.padEnd(14)} ${v.reason}${v.replay?.state === 'done' ? ` [replayed ${v.replay.replayedAt}]` : ''}`;
}

function idOf(positionals: string[]): number {
  const raw = positionals[1];
  if (raw === undefined) throw new UsageError(`${positionals[0]} needs a record id, or --all`);
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`"${raw}" is not a DLQ record id (a positive integer)`);
  return id;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (o.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return o.help ? 0 : 64;
  }
  const command = positionals[0];
  if (!['list', 'show', 'replay', 'purge', 'rejected'].includes(command!)) throw new UsageError(`unknown command "${command}"`);
  const query = asUsage(() => parseDeadLetterQuery(
    Object.fromEntries(
      (['stream', 'consumer', 'subject', 'since', 'until', 'reason', 'limit', 'after'] as const)
        .filter((k) => o[k] !== undefined)
        .map((k) => [k, o[k] as string]),
    ),
  ));
  const edited = o['payload-file'] !== undefined ? readPayload(o['payload-file']) : undefined;

  const env = exitOnConfigurationError(() => validateEnvironment(JetStreamEnvironment));
  // The CLI is the dlq component: its DLQ_NATS_* credentials when set, else the main ones.
  const nc = await connectNats(env.deadLetterConnectionOptions() ?? env.connectionOptions('dlq'), 'nestjet-dlq-cli');
  const dlq = new DeadLetterService(await jetstreamManager(nc), env.topology(buildTopology), new JetStreamPublisher(nc));
  const print = (value: unknown, text: () => string) => process.stdout.write(`${o.json ? JSON.stringify(value, null, 2) : text()}\n`);
  try {
    switch (command) {
      case 'list': {
        const page = await dlq.list(query.filter, query.page);
        print(page, () =>
          [
            ...page.items.map(line),
            page.items.length === 0 ? `no dead letters match (${page.scanned} of ${page.total} read)` : '',
            page.next ? `more: --after ${page.next}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
        return 0;
      }
      case 'rejected': {
        const page = await dlq.listRejected(query.page);
        print(page, () =>
          [
            ...page.items.map((r) => `${String(r.id).padStart(6)}  ${r.rejectedAt}  ${r.check.padEnd(16)} ${r.reason}\n        ${r.advisory.slice(0, 300)}`),
            page.items.length === 0 ? 'no rejected advisories' : '',
            page.next ? `more: --after ${page.next}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
        return 0;
      }
      case 'show': {
        const v = await dlq.get(idOf(positionals));
        print(v, () => JSON.stringify(v, null, 2));
        return 0;
      }
      case 'replay': {
        if (o.all) {
          const r = await dlq.replayMatching(query.filter, o['dry-run'] ?? false, { force: o.force ?? false });
          const skipped = r.skipped.map((s) => `  skipped ${s.id}: ${s.reason}${s.previousReplay ? ` (at ${s.previousReplay.replayedAt ?? s.previousReplay.startedAt})` : ''}`);
          print(r, () =>
            [
              o['dry-run'] ? `${r.matched - r.skipped.length} of ${r.matched} matching record(s) would be replayed` : `replayed ${r.replayed.length} of ${r.matched} matching record(s)`,
              ...skipped,
            ].join('\n'),
          );
          return 0;
        }
        const r = await dlq.replay(idOf(positionals), edited, { force: o.force ?? false });
        print(r, () => `replayed record ${r.replayOf} to ${r.subject} as ${r.stream} seq ${r.seq} (msg id ${r.id})${r.forced ? ', again (--force)' : ''}`);
        return 0;
      }
      default: {
        if (o.all) {
          if (Object.keys(query.filter).length === 0 && !o.everything) {
            throw new UsageError('purge --all needs a filter; add --everything to purge the whole DLQ');
          }
          const r = await dlq.purgeMatching(query.filter, o['dry-run'] ?? false);
          print(r, () => (o['dry-run'] ? `${r.matched} record(s) would be purged` : `purged ${r.purged} record(s)`));
          return 0;
        }
        const id = idOf(positionals);
        await dlq.purge(id);
        print({ purged: id }, () => `purged record ${id}`);
        return 0;
      }
    }
  } finally {
    await nc.drain();
  }
}

/** Bad filter or paging flags are usage errors (exit 64), reported with every problem at once. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ValidationFailedError) throw new UsageError(err.message);
    throw err;
  }
}

function readPayload(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --payload-file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--payload-file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`dlq: ${err.message}\n\n${USAGE}\n`);
      process.exit(64);
    }
    if (err instanceof DeadLetterNotFoundError) {
      process.stderr.write(`dlq: ${err.message}\n`);
      process.exit(2);
    }
    // An edited payload that fails validation is a refused replay, like one with nothing to replay.
    if (err instanceof ReplayRefusedError || err instanceof ValidationFailedError) {
      process.stderr.write(`dlq: ${err.message}\n`);
      process.exit(3);
    }
    process.stderr.write(`dlq failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
