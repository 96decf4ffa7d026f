import { parseArgs } from 'node:util';
import type { AuditListing, AuditRecord, AuditVerification, PendingSchedule, ScheduleListing } from '#jetstream';
import type { ConsumerView, OperationsOverview } from './operations/operations.view.js';

const USAGE = `usage: npm run ops -- <command> [options]

  consumers                                    every declared consumer: pending, unacked, rate, workers, paused
  pause  <stream> <consumer> [--until ISO]     hold deliveries until a time (default: 24 h from now)
  resume <stream> <consumer>                   deliver again now
  reset  <stream> <consumer> [--seq N]         deliver again from stream sequence N (without --seq: clear
                                               the delivery state, keep the ack floor)
  schedules [--limit N] [--after SEQ]          pending scheduled messages, oldest first: the key's own,
            [--by <principal>]                 or everyone's with schedules:admin (--by: only this
                                               principal's, e.g. key:checkout)
  cancel <scheduleId>                          cancel a pending schedule (it will not be delivered)
  audit [--action A] [--principal P]           admin actions, oldest first: who did what to what, when, with which
        [--target PREFIX] [--outcome O]        result (O: succeeded, refused, failed); --limit N, --after SEQ page
        [--since ISO] [--until ISO]
  audit verify                                 check the trail's hash chain; exits 4 when it is not intact
  [--json]                                     the API's answer as JSON

Talks to the producer's operations API (PRODUCER_URL, default http://127.0.0.1:3000) with
NESTJET_API_KEY (npm run ops uses the local key of npm start when unset); pause, resume and reset
need the scope consumers:manage, consumers needs ops:read, schedules schedules:read, cancel
schedules:cancel (another principal's schedules also schedules:admin), audit audit:read.`;

class UsageError extends Error {}

/** Exit codes: 64 bad arguments (as the dlq CLI), 2 unknown consumer or schedule, 3 refused by the API, 4 audit trail not intact, 1 anything else. */
const EXIT = { usage: 64, notFound: 2, refused: 3, notIntact: 4, failed: 1 } as const;

interface Problem {
  status?: number;
  title?: string;
  detail?: string;
  errors?: { field: string; messages: string[] }[];
}

class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.messages.join(', ')}`).join('; ');
    super(`${problem.status ?? '?'} ${problem.title ?? 'error'}: ${problem.detail ?? ''}${fields ? ` (${fields})` : ''}`);
  }
}

async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const key = process.env.NESTJET_API_KEY;
  if (!key) throw new UsageError('set NESTJET_API_KEY to an API key with the scopes the command needs');
  const base = process.env.PRODUCER_URL ?? 'http://127.0.0.1:3000';
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${key}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new Error(`cannot reach the producer at ${base}: ${(err as Error).message}`);
  }
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiProblem({ status: res.status, ...(json as Problem) });
  return json as T;
}

function scheduleLine(s: PendingSchedule): string {
  return `${s.id}  ${s.deliverAt}  ${s.subject}  by ${s.scheduledBy ?? '?'}`;
}

function auditLine(r: AuditRecord): string {
  const result = `${r.result.outcome} ${r.result.status}${r.result.detail ? `: ${r.result.detail}` : ''}`;
  return `${String(r.seq).padStart(6)}  ${r.time}  ${r.action.padEnd(16)} ${r.target}  by ${r.principal}  ${result}`;
}

function verificationText(v: AuditVerification): string {
  if (v.checked === 0) return 'intact: the trail is empty';
  const start = v.first!.genesis ? `from sequence ${v.first!.seq} (the start of the trail)` : `from sequence ${v.first!.seq} (older records aged out; the chain is verified from there)`;
  if (v.intact) return `intact: ${v.checked} records checked, ${start}, last ${v.last!.seq} ${v.last!.hash}`;
  const problems = v.problems.map((p) => `  ${String(p.seq).padStart(6)}  ${p.kind.padEnd(9)} ${p.detail}`);
  const omitted = v.problemsOmitted > 0 ? [`  … and ${v.problemsOmitted} more`] : [];
  return [`NOT intact: ${v.checked} records checked, ${start}; ${v.problems.length + v.problemsOmitted} problem(s):`, ...problems, ...omitted].join('\n');
}

async function audit(args: string[], o: Record<string, string | boolean | undefined>, print: (value: unknown, text: () => string) => void): Promise<void> {
  if (args[0] === 'verify') {
    if (args.length > 1) throw new UsageError('audit verify takes no arguments');
    const v = await call<AuditVerification>('GET', '/v1/audit/verify');
    print(v, () => verificationText(v));
    if (!v.intact) process.exitCode = EXIT.notIntact;
    return;
  }
  if (args.length > 0) throw new UsageError(`audit takes options or "verify", not "${args[0]}"`);
  const filters = ['action', 'principal', 'target', 'outcome', 'since', 'until', 'limit', 'after'] as const;
  const query = new URLSearchParams(filters.flatMap((k): [string, string][] => (typeof o[k] === 'string' ? [[k, o[k]]] : [])));
  const page = await call<AuditListing>('GET', `/v1/audit${query.size > 0 ? `?${query}` : ''}`);
  const more = page.next === null ? '' : `\n… more: --after ${page.next}`;
  print(page, () => (page.items.length === 0 ? `no audit records match (${page.total} in the trail)` : `${page.items.map(auditLine).join('\n')}${more}`));
}

function consumerLine(c: ConsumerView): string {
  const state = c.paused ? `paused until ${c.pauseUntil}` : 'active';
  return `${`${c.stream}/${c.name}`.padEnd(32)} pending ${String(c.pending).padStart(8)}  unacked ${String(c.ackPending).padStart(6)}  ${c.rate.toFixed(1).padStart(8)} msg/s  workers ${c.workers}  ${state}`;
}

async function main(argv: string[]): Promise<void> {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      until: { type: 'string' },
      seq: { type: 'string' },
      limit: { type: 'string' },
      after: { type: 'string' },
      by: { type: 'string' },
      action: { type: 'string' },
      principal: { type: 'string' },
      target: { type: 'string' },
      outcome: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, stream, consumer, ...extra] = positionals;
  if (o.help || !command) throw new UsageError('');
  const print = (value: unknown, text: () => string): void => void process.stdout.write(`${o.json ? JSON.stringify(value, null, 2) : text()}\n`);
  if (command === 'consumers') {
    if (stream !== undefined) throw new UsageError('consumers takes no arguments');
    const overview = await call<OperationsOverview>('GET', '/v1/ops/overview');
    return print(overview.consumers, () => overview.consumers.map(consumerLine).join('\n'));
  }
  if (command === 'audit') return audit(positionals.slice(1), o, print);
  const auditOnly = (['action', 'principal', 'target', 'outcome', 'since'] as const).find((k) => o[k] !== undefined);
  if (auditOnly) throw new UsageError(`--${auditOnly} goes with audit`);
  if (o.by !== undefined && command !== 'schedules') throw new UsageError('--by goes with schedules');
  if ((o.limit !== undefined || o.after !== undefined) && command !== 'schedules') throw new UsageError('--limit and --after go with schedules and audit');
  if (command === 'schedules') {
    if (stream !== undefined) throw new UsageError('schedules takes no arguments');
    const query = new URLSearchParams(Object.entries({ limit: o.limit, after: o.after, scheduledBy: o.by }).filter((e): e is [string, string] => e[1] !== undefined));
    const page = await call<ScheduleListing>('GET', `/v1/schedules${query.size > 0 ? `?${query}` : ''}`);
    const more = page.next === null ? '' : `\n… more: --after ${page.next}`;
    return print(page, () => (page.items.length === 0 ? 'no pending schedules' : `${page.items.map(scheduleLine).join('\n')}${more}`));
  }
  if (command === 'cancel') {
    if (!stream || consumer !== undefined) throw new UsageError('cancel needs <scheduleId>');
    const cancelled = await call<PendingSchedule>('DELETE', `/v1/schedules/${encodeURIComponent(stream)}`);
    return print(cancelled, () => `cancelled ${cancelled.id} (was due ${cancelled.deliverAt} on ${cancelled.subject})`);
  }
  if (!['pause', 'resume', 'reset'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (!stream || !consumer || extra.length > 0) throw new UsageError(`${command} needs <stream> <consumer>`);
  if (o.until !== undefined && command !== 'pause') throw new UsageError('--until goes with pause and audit');
  if (o.seq !== undefined && command !== 'reset') throw new UsageError('--seq goes with reset');
  const path = `/v1/ops/consumers/${encodeURIComponent(stream)}/${encodeURIComponent(consumer)}/${command}`;
  if (command === 'reset') {
    const seq = o.seq === undefined ? undefined : Number(o.seq);
    if (seq !== undefined && !(Number.isSafeInteger(seq) && seq >= 1)) throw new UsageError('--seq must be a stream sequence: an integer from 1');
    const r = await call<{ resetSeq: number; pending: number }>('POST', path, seq === undefined ? {} : { seq });
    return print(r, () => `${stream}/${consumer} reset: delivers again from stream sequence ${r.resetSeq}; ${r.pending} pending`);
  }
  const r = await call<{ paused: boolean; pauseUntil: string | null }>('POST', path, o.until === undefined ? {} : { until: o.until });
  print(r, () => (r.paused ? `${stream}/${consumer} paused until ${r.pauseUntil}` : `${stream}/${consumer} resumed`));
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message ? `${err.message}\n\n` : ''}${USAGE}\n`);
    process.exit(err.message ? EXIT.usage : 0);
  }
  process.stderr.write(`ops: ${(err as Error).message}\n`);
  const status = err instanceof ApiProblem ? err.problem.status : undefined;
  process.exit(status === 404 ? EXIT.notFound : status !== undefined && status < 500 ? EXIT.refused : EXIT.failed);
}
