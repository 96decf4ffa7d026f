import 'reflect-metadata';
import { inspect, NatsServer, provision, publishBacklog } from '#test-support';
import { AckPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { emitResult, environment, median, table } from './bench-report.js';
import { appDefaultTuning, BENCH_TUNING } from './consumer-settings.js';
import { nestPipelineMicros } from './nest-pipeline-floor.js';
import { drainIn, type Drain } from './drain-process.js';

/**
 * Consumer throughput with a no-op handler and explicit acks, every side on
 * its own durable over the same backlog, each in a fresh process: bare nats.js
 * (async iterator and callback form of consume(), and the callback loop that
 * parses each JSON payload — the baseline: every real consumer reads its
 * payload), the nestjet pull transport with the bench settings and with the
 * consumer app's defaults, and the NestJS JetStream peers: the transport on
 * npm always, and @horizon-republic/nestjs-jetstream (HR) when
 * BENCH_HR_PEER_DIR names a build of it (CI cannot fetch it; see
 * docs/performance.md), with its defaults and with nestjet's bench settings.
 */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
// Far above what any side holds at once (nestjet: concurrency + prefetch), so no side waits on the server's limit.
const MAX_ACK_PENDING = 10_000;

const tuned = BENCH_TUNING;
const appDefaults = appDefaultTuning();

interface Side {
  key: string;
  label: string;
  file: string;
  env: Record<string, string>;
  /** Makes its own durable (the peer subscribes one itself); otherwise the bench adds a pull durable first. */
  ownDurable?: boolean;
}

const hrPeerDir = process.env.BENCH_HR_PEER_DIR;
const hrSides: Side[] = hrPeerDir
  ? [
      {
        key: 'hr-matched',
        label: `@horizon-republic/nestjs-jetstream, matched (concurrency ${tuned.BENCH_CONCURRENCY}, max_messages ${tuned.BENCH_PREFETCH}, max_ack_pending their sum)`,
        file: 'hr-peer-consumer.main.js',
        env: { BENCH_HR_PEER_DIR: hrPeerDir, BENCH_HR_SETTINGS: 'matched', BENCH_CONCURRENCY: tuned.BENCH_CONCURRENCY, BENCH_PREFETCH: tuned.BENCH_PREFETCH },
        ownDurable: true,
      },
      {
        key: 'hr-defaults',
        label: '@horizon-republic/nestjs-jetstream, its defaults (max_ack_pending 100, max_messages 100, concurrency unlimited)',
        file: 'hr-peer-consumer.main.js',
        env: { BENCH_HR_PEER_DIR: hrPeerDir, BENCH_HR_SETTINGS: 'defaults' },
        ownDurable: true,
      },
    ]
  : [];

const sides: Side[] = [
  { key: 'iterator', label: 'raw nats.js: for await (m of consume()) m.ack()', file: 'raw-consumer.main.js', env: { BENCH_RAW_MODE: 'iterator' } },
  { key: 'callback', label: 'raw nats.js: consume({ callback: m => m.ack() })', file: 'raw-consumer.main.js', env: { BENCH_RAW_MODE: 'callback' } },
  // The baseline: the fastest loop that does what every real consumer does, parse its payload.
  { key: 'json', label: 'raw nats.js: consume({ callback: m => { m.json(); m.ack() } }) (baseline)', file: 'raw-consumer.main.js', env: { BENCH_RAW_MODE: 'callback-json' } },
  { key: 'nestjet', label: `nestjet pull transport, bench settings (concurrency ${tuned.BENCH_CONCURRENCY}, prefetch ${tuned.BENCH_PREFETCH})`, file: 'noop-consumer.main.js', env: tuned },
  {
    key: 'defaults',
    label: `nestjet pull transport, app defaults (concurrency ${appDefaults.BENCH_CONCURRENCY}, prefetch ${appDefaults.BENCH_PREFETCH})`,
    file: 'noop-consumer.main.js',
    env: appDefaults,
  },
  {
    key: 'peer',
    label: `@nestjs-plugins/nestjs-nats-jetstream-transport 2.2.6 (push durable, manualAck, maxAckPending ${MAX_ACK_PENDING})`,
    file: 'peer-consumer.main.js',
    env: { BENCH_MAX_ACK_PENDING: String(MAX_ACK_PENDING) },
    ownDurable: true,
  },
  ...hrSides,
];

async function addDurable(jsm: JetStreamManager, name: string): Promise<void> {
  await jsm.consumers.add('ORDERS', { durable_name: name, ack_policy: AckPolicy.Explicit, filter_subject: 'orders.created.>', max_ack_pending: MAX_ACK_PENDING });
}

const nats = await NatsServer.start();
try {
  await provision(nats);
  const { nc, jsm } = await inspect(nats);
  const publisher = await nats.connect('producer');
  await publishBacklog(publisher, MESSAGES, 'bench');
  await publisher.close();
  const drains = new Map<string, Drain[]>(sides.map((s) => [s.key, []]));
  let unacked = 0;
  // Round 0 warms the server's caches and the page cache; it is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    // Each round starts one side later: no side always runs right after the same neighbour.
    for (const side of sides.map((_, i) => sides[(i + round) % sides.length])) {
      const durable = `${side.key}-${round}`;
      if (!side.ownDurable) await addDurable(jsm, durable);
      const drain = await drainIn(side.file, { ...nats.env('operator'), BENCH_MESSAGES: String(MESSAGES), BENCH_DURABLE: durable, ...side.env });
      if (!side.ownDurable) unacked += (await jsm.consumers.info('ORDERS', durable)).num_ack_pending;
      if (round > 0) drains.get(side.key)!.push(drain);
    }
  }
  await nc.close();

  // With the bench tuning equal to the app's defaults the two nestjet sides are one configuration run twice a
  // round: each reports the median of both sides' drains (consecutive identical runs differed by up to 25 % here).
  const sameConfig = JSON.stringify(tuned) === JSON.stringify(appDefaults);
  const samples = (key: string) => (sameConfig && (key === 'nestjet' || key === 'defaults') ? [...drains.get('nestjet')!, ...drains.get('defaults')!] : drains.get(key)!);
  const rate = (key: string) => median(samples(key).map((d) => d.rate));
  const rss = (key: string) => Math.max(...samples(key).map((d) => d.rssMiB));
  const raw = rate('json');
  const [nest, defaultsRate, plugins] = [rate('nestjet'), rate('defaults'), rate('peer')];
  // Matched settings: nestjet's bench tuning against each peer at the same concurrency and messages in flight
  // (the @nestjs-plugins transport has no concurrency setting: its push durable is bounded by max_ack_pending).
  const peers = [{ name: '@nestjs-plugins', rate: plugins }, ...(hrPeerDir ? [{ name: 'HR', rate: rate('hr-matched') }] : [])];
  const fastestPeer = peers.reduce((a, b) => (b.rate > a.rate ? b : a));
  // What no Nest transport can avoid on top of the loop that parses its payloads: the handler pipeline.
  const pipelineMicros = await nestPipelineMicros();
  const ceiling = 1 / (1 / raw + pipelineMicros / 1e6) / raw;
  const nestjetRss = Math.max(rss('nestjet'), rss('defaults'));
  process.stdout.write(
    `\n### Consumer (${MESSAGES} messages, no-op handler, explicit ack, each side a fresh process, ${ROUNDS} rounds after a warm-up, median)\n${environment()}\n\n` +
      table(
        ['side', 'msg/s', 'peak RSS MiB'],
        sides.map((s) => [s.label, rate(s.key).toFixed(0), rss(s.key).toFixed(0)]),
      ) +
      `\n\n${sameConfig ? `The bench tuning is the app's defaults: both nestjet rows are the median of their ${2 * ROUNDS} drains together. ` : ''}baseline: the raw callback loop that parses each JSON payload. nestjet / raw: bench settings **${(nest / raw).toFixed(2)}×**, app defaults **${(defaultsRate / raw).toFixed(2)}×** (target ≥ 0.9×); ` +
      `nestjet (bench settings) / ${peers.map((p) => `${p.name} **${(nest / p.rate).toFixed(2)}×**`).join(', ')} (target ≥ 1.5× the faster)` +
      `${hrPeerDir ? `; nestjet (app defaults) / HR (its defaults) **${(defaultsRate / rate('hr-defaults')).toFixed(2)}×**` : '; HR not run (set BENCH_HR_PEER_DIR, see docs/performance.md)'}; ` +
      `unacked after the nestjet and raw processes exited: ${unacked}\n\n` +
      `One call of the no-op handler through Nest's microservice pipeline alone (\`@JetStreamHandler()\`, context creator, pipes, interceptors, RPC proxy; no message) costs ` +
      `${pipelineMicros.toFixed(2)} µs of CPU: added to the raw loop that parses its payloads, that caps any Nest transport at ${ceiling.toFixed(2)}× of it here, ` +
      `before reading a message's delivery count or headers.\n`,
  );
  const figures = { messages: MESSAGES, rawIterator: rate('iterator'), rawCallback: rate('callback'), rawCallbackJson: raw, pipelineMicros, ceiling, rssMiB: Object.fromEntries(sides.map((s) => [s.key, rss(s.key)])) };
  emitResult({ name: 'consumer', compares: `nestjet ${tuned.BENCH_CONCURRENCY}/${tuned.BENCH_PREFETCH} / raw nats.js callback + JSON msg/s`, ratio: nest / raw, target: 0.9, nestjet: nest, raw, ...figures });
  emitResult({ name: 'consumer-defaults', compares: `nestjet app defaults ${appDefaults.BENCH_CONCURRENCY}/${appDefaults.BENCH_PREFETCH} / raw nats.js callback + JSON msg/s`, ratio: defaultsRate / raw, target: 0.9, nestjet: defaultsRate, raw, ceiling });
  emitResult({
    name: 'peer-consumer',
    compares: `nestjet ${tuned.BENCH_CONCURRENCY}/${tuned.BENCH_PREFETCH} / the faster peer at matched settings (${peers.map((p) => p.name).join(', ')}: ${fastestPeer.name})`,
    ratio: nest / fastestPeer.rate,
    target: 1.5,
    nestjet: nest,
    peers: Object.fromEntries(peers.map((p) => [p.name, p.rate])),
  });
  emitResult({ name: 'rss-consumer', compares: 'peak RSS of the nestjet consumer draining the backlog, MiB', ratio: nestjetRss, target: 150, lowerIsBetter: true });
} finally {
  await nats.dispose();
}
