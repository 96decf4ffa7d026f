import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import {
  findObject,
  helmTemplate,
  inspect,
  NatsCluster,
  NatsServer,
  processed,
  provision,
  publishBacklog,
  startConsumer,
  waitFor,
  AppGroup,
  type NatsEndpoint,
} from '#test-support';

// KEDA conformance: the ScaledObject the chart renders, evaluated the way KEDA's
// nats-jetstream scaler does (a port of kedacore/keda pkg/scalers/nats_jetstream_scaler.go:
// getNATSJetstreamMonitoringData, setNATSJetStreamMonitoringData, getMaxMsgLag,
// GetMetricsAndActivity) against real nats-servers. The one substitution is name
// resolution: Kubernetes DNS names (the headless service, <pod>.<headless>) and the
// chart's route names (<pod>.<headless>:6222) are mapped to loopback ports.

type TriggerMeta = Record<'natsServerMonitoringEndpoint' | 'account' | 'stream' | 'consumer' | 'lagThreshold' | 'activationLagThreshold' | 'useHttps', string>;
interface ConsumerDetail { name: string; num_pending: number; num_ack_pending: number; cluster?: { leader?: string } }
interface StreamDetail { name: string; state: { last_seq: number }; consumer_detail?: ConsumerDetail[] }
interface Jsz { meta_cluster?: { cluster_size?: number }; account_details?: Array<{ name: string; stream_detail?: StreamDetail[] }> }
interface Varz { server_name: string; connect_urls?: string[]; cluster?: { urls?: string[] } }

class KedaNatsJetStreamScaler {
  private consumerLeader = '';
  private monitoringLeaderURL = '';
  private clusterSize = 0;
  private stream: StreamDetail | null = null;
  readonly monitoringURL: string;
  readonly queried: string[] = [];

  constructor(
    readonly meta: TriggerMeta,
    /** "host:port" as KEDA would dial it → loopback "127.0.0.1:port" (cluster DNS). */
    private readonly resolve: (hostPort: string) => string,
    /** A route URL as /varz shows it on loopback → the route URL the chart's NATS config would show. */
    private readonly routeName: (url: string) => string = (u) => u,
  ) {
    const scheme = meta.useHttps === 'true' ? 'https' : 'http';
    this.monitoringURL = `${scheme}://${meta.natsServerMonitoringEndpoint}/jsz?acc=${meta.account}&consumers=true&config=true`;
  }

  private async get<T>(url: string): Promise<T> {
    this.queried.push(url);
    const u = new URL(url);
    const r = await fetch(`http://${this.resolve(u.host)}${u.pathname}${u.search}`);
    if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
    return (await r.json()) as T;
  }

  private set(resp: Jsz, leaderURL: string): boolean {
    this.clusterSize = resp.meta_cluster?.cluster_size ?? 0;
    for (const acc of resp.account_details ?? []) {
      if (acc.name !== this.meta.account) continue;
      for (const stream of acc.stream_detail ?? []) {
        if (stream.name !== this.meta.stream) continue;
        this.stream = stream;
        for (const c of stream.consumer_detail ?? []) {
          if (c.name === this.meta.consumer) {
            this.consumerLeader = c.cluster?.leader ?? '';
            if (leaderURL !== '') this.monitoringLeaderURL = leaderURL;
            return true;
          }
        }
      }
    }
    return false;
  }

  private async refresh(): Promise<void> {
    const cached = this.consumerLeader;
    const url = this.monitoringLeaderURL || this.monitoringURL;
    const found = this.set(await this.get<Jsz>(url), '');
    if (cached !== '' && !found) {
      this.consumerLeader = '';
      this.monitoringLeaderURL = '';
      this.stream = null;
    }
    if (found && cached !== '' && cached === this.consumerLeader) return;
    if (this.clusterSize <= 1) return;
    if (this.consumerLeader !== '' && this.monitoringLeaderURL !== '') {
      this.set(await this.get<Jsz>(this.monitoringLeaderURL), this.monitoringLeaderURL);
      return;
    }
    const base = new URL(this.monitoringURL);
    const varz = await this.get<Varz>(`${base.protocol}//${base.host}/varz`);
    const advertised = (varz.connect_urls ?? []).length > 0;
    const clusterUrls = advertised ? varz.connect_urls! : [varz.server_name, ...(varz.cluster?.urls ?? []).map(this.routeName)];
    for (const clusterURL of clusterUrls) {
      let node: string;
      let nodeURL: string;
      if (advertised) {
        const host = clusterURL.split(':')[0]!;
        node = (await this.get<Varz>(`${base.protocol}//${host}:${base.port}/varz`)).server_name;
        nodeURL = `${base.protocol}//${host}:${base.port}${base.pathname}${base.search}`;
      } else {
        node = clusterURL.split('.')[0]!;
        nodeURL = `${base.protocol}//${node}.${base.host}${base.pathname}${base.search}`;
      }
      const resp = await this.get<Jsz>(nodeURL);
      const isLeader = (resp.account_details ?? []).some(
        (a) => a.name === this.meta.account && (a.stream_detail ?? []).some((s) => s.name === this.meta.stream && (s.consumer_detail ?? []).some((c) => c.name === this.meta.consumer && c.cluster?.leader === node)),
      );
      if (isLeader) {
        this.set(resp, nodeURL);
        return;
      }
    }
  }

  /** GetMetricsAndActivity: the lag KEDA reports and whether the workload is active. */
  async metrics(): Promise<{ lag: number; active: boolean; leaderURL: string }> {
    await this.refresh();
    if (!this.stream) throw new Error('stream not found');
    const c = (this.stream.consumer_detail ?? []).find((x) => x.name === this.meta.consumer);
    // Without the consumer KEDA reports the stream's last sequence as lag.
    const lag = c ? c.num_pending + c.num_ack_pending : this.stream.state.last_seq;
    return { lag, active: lag > Number(this.meta.activationLagThreshold), leaderURL: this.monitoringLeaderURL };
  }

  /** Replicas the HPA would ask for with KEDA's AverageValue target (lagThreshold per replica). */
  static desiredReplicas(lag: number, spec: { minReplicaCount: number; maxReplicaCount: number }, lagThreshold: number): number {
    return Math.min(spec.maxReplicaCount, Math.max(spec.minReplicaCount, Math.ceil(lag / lagThreshold)));
  }
}

/**
 * KEDA's ScalersCache (pkg/scaling/cache/scalers_cache.go, GetMetricsAndActivityForScaler):
 * when a scaler's poll fails, KEDA rebuilds the scaler from its factory (no cached
 * leader) and retries once; the rebuilt scaler stays in the cache for later polls.
 */
class KedaScalersCache {
  private scaler: KedaNatsJetStreamScaler;
  rebuilds = 0;

  constructor(private readonly factory: () => KedaNatsJetStreamScaler) {
    this.scaler = factory();
  }

  async metrics(): Promise<{ lag: number; active: boolean; leaderURL: string }> {
    try {
      return await this.scaler.metrics();
    } catch {
      this.scaler = this.factory();
      this.rebuilds++;
      return this.scaler.metrics();
    }
  }
}

const CONSUMER_ENV = { CONSUMER_CONCURRENCY: '8', CONSUMER_PREFETCH: '16', SIMULATED_WORK_MS: '3' };

async function serverLag(nats: NatsEndpoint, durable: string): Promise<{ lag: number; leader?: string }> {
  const { nc, jsm } = await inspect(nats);
  try {
    const info = await jsm.consumers.info('ORDERS', durable);
    return { lag: info.num_pending + info.num_ack_pending, leader: info.cluster?.leader };
  } finally {
    await nc.close();
  }
}

describe('KEDA nats-jetstream scaler against the chart ScaledObject and real nats-server', () => {
  const apps = new AppGroup();
  let single: NatsServer | undefined;
  let cluster: NatsCluster | undefined;

  afterEach(async () => {
    await apps.stopAll();
  });
  afterAll(async () => {
    await single?.dispose();
    await cluster?.dispose();
  });

  it('single server: finds account, stream and durables after provision; lag follows a real backlog up and back to 0', async () => {
    single = await NatsServer.start();
    const objects = await helmTemplate({ profiles: ['keda'] });
    const so = findObject(objects, 'ScaledObject', '-consumer');
    const triggers = so.spec.triggers.map((t: { metadata: TriggerMeta }) => t.metadata) as TriggerMeta[];
    const dns = (host: string) => {
      if (host !== 'nats-headless.nats.svc.cluster.local:8222') throw new Error(`unexpected DNS lookup ${host}`);
      return `127.0.0.1:${single!.monitorPort}`;
    };

    // Before provision the stream does not exist: KEDA's scaler errors on every poll.
    await expect(new KedaNatsJetStreamScaler(triggers[0]!, dns).metrics()).rejects.toThrow('stream not found');

    await provision(single);
    const scalers = triggers.map((t) => new KedaNatsJetStreamScaler(t, dns));
    for (const s of scalers) expect(await s.metrics()).toMatchObject({ lag: 0, active: false });
    expect(scalers[0]!.queried[0]).toBe('http://nats-headless.nats.svc.cluster.local:8222/jsz?acc=$G&consumers=true&config=true');

    const nc = await single.connect('producer');
    await publishBacklog(nc, 600, 'keda');
    await nc.close();
    for (const s of scalers) {
      const m = await s.metrics();
      const truth = await serverLag(single, s.meta.consumer);
      expect(m.lag).toBe(truth.lag);
      expect(m.lag).toBeGreaterThan(0);
      expect(m.active).toBe(true);
    }
    const fulfillment = scalers[0]!;
    expect((await fulfillment.metrics()).lag).toBe(600);
    const spec = { minReplicaCount: so.spec.minReplicaCount, maxReplicaCount: so.spec.maxReplicaCount };
    const threshold = Number(fulfillment.meta.lagThreshold);
    const samples: string[] = [];
    const consumer = await startConsumer(single, { ...CONSUMER_ENV });
    await apps.add(consumer);
    await waitFor(
      'lag of every durable back to 0',
      async () => {
        const ms = await Promise.all(scalers.map((s) => s.metrics()));
        samples.push(`${ms.map((m) => m.lag).join('/')}→${KedaNatsJetStreamScaler.desiredReplicas(Math.max(...ms.map((m) => m.lag)), spec, threshold)}`);
        return ms.every((m) => m.lag === 0 && !m.active);
      },
      60_000,
      250,
    );
    expect(processed([consumer], 'fulfillment')).toHaveLength(600);
    expect(KedaNatsJetStreamScaler.desiredReplicas(0, spec, threshold)).toBe(0);
    process.stdout.write(`KEDA single server, lag per durable (fulfillment/notifications/fraud-review)→desired replicas: ${samples.slice(0, 12).join(', ')} … ${samples.at(-1)}\n`);
  });

  it('3-node cluster (R3 streams, sync_interval always): KEDA finds the consumer leader via /varz and reads lag from it', async () => {
    const objects = await helmTemplate({ profiles: ['bundled-nats'] });
    const so = findObject(objects, 'ScaledObject', '-consumer');
    const endpoint = so.spec.triggers[0].metadata.natsServerMonitoringEndpoint as string;
    expect(endpoint).toBe('nestjet-nats-headless.apps.svc.cluster.local:8222');
    const headless = endpoint.split(':')[0]!;
    // The official chart names servers after their pods: <release>-nats-<ordinal>.
    cluster = await NatsCluster.start({
      names: ['nestjet-nats-0', 'nestjet-nats-1', 'nestjet-nats-2'],
      noAdvertise: true,
      jetstreamExtra: ['sync_interval: always'],
    });
    const c = cluster;
    await provision(c, { STREAM_REPLICAS: findObject(objects, 'ConfigMap', 'nestjet').data.STREAM_REPLICAS });

    const leaderOf = async (durable: string) => (await serverLag(c, durable)).leader!;
    const leader = await leaderOf('fulfillment');
    // The headless service answers with a pod that is NOT the consumer leader, so the lookup must work.
    const entry = c.nodes.find((n) => n.name !== leader)!;
    const dns = (host: string) => {
      if (host === endpoint) return `127.0.0.1:${entry.monitorPort}`;
      const node = c.nodes.find((n) => host === `${n.name}.${headless}:8222`);
      if (!node) throw new Error(`unexpected DNS lookup ${host}`);
      return `127.0.0.1:${node.monitorPort}`;
    };
    const routeName = (url: string) => {
      const node = c.nodes.find((n) => url === `127.0.0.1:${n.clusterPort}`);
      if (!node) throw new Error(`unknown route ${url}`);
      return `${node.name}.${headless}:6222`;
    };
    const scaler = new KedaNatsJetStreamScaler(so.spec.triggers[0].metadata as TriggerMeta, dns, routeName);
    expect(scaler.meta.consumer).toBe('fulfillment');

    const nc = await c.connect('producer');
    await publishBacklog(nc, 500, 'keda-cluster');
    await nc.close();
    const first = await scaler.metrics();
    expect(first.leaderURL).toBe(`http://${leader}.${headless}:8222/jsz?acc=$G&consumers=true&config=true`);
    expect(first.lag).toBe((await serverLag(c, 'fulfillment')).lag);
    expect(first.lag).toBe(500);
    expect(scaler.queried).toContain(`http://${endpoint}/varz`);

    const consumer = await startConsumer(c, { CONSUMERS: 'fulfillment', ...CONSUMER_ENV });
    await apps.add(consumer);
    const lags: number[] = [];
    await waitFor('lag read from the leader back to 0', async () => {
      const m = await scaler.metrics();
      lags.push(m.lag);
      return m.lag === 0 && !m.active;
    }, 60_000, 250);
    // Cached leader: later polls go straight to the leader, not through /varz again.
    expect(scaler.queried.filter((u) => u.endsWith('/varz'))).toHaveLength(1);
    expect(lags[0]).toBeGreaterThan(0);
    process.stdout.write(`KEDA 3-node cluster: leader ${leader}, entry pod ${entry.name}, lag samples ${lags.slice(0, 10).join(', ')} … ${lags.at(-1)} (${lags.length} polls)\n`);
  });
});

describe('KEDA nats-jetstream scaler through consumer leader changes and a missing consumer (3-node cluster)', () => {
  const apps = new AppGroup();
  let cluster: NatsCluster | undefined;
  let setup: Awaited<ReturnType<typeof chartCluster>>;

  /** The chart's ScaledObject against a fresh 3-node cluster named like the official chart's pods, provisioned at R3, with a 300-order backlog nobody consumes. */
  async function chartCluster() {
    const objects = await helmTemplate({ profiles: ['bundled-nats'] });
    const so = findObject(objects, 'ScaledObject', '-consumer');
    const endpoint = so.spec.triggers[0].metadata.natsServerMonitoringEndpoint as string;
    const headless = endpoint.split(':')[0]!;
    cluster = await NatsCluster.start({ names: ['nestjet-nats-0', 'nestjet-nats-1', 'nestjet-nats-2'], noAdvertise: true, jetstreamExtra: ['sync_interval: always'] });
    const c = cluster;
    await provision(c, { STREAM_REPLICAS: findObject(objects, 'ConfigMap', 'nestjet').data.STREAM_REPLICAS });
    const nc = await c.connect('producer');
    await publishBacklog(nc, 300, 'keda-leader');
    await nc.close();
    const down = new Set<string>();
    // The headless service answers with a ready pod (`entry`); a pod that is down has no DNS record.
    const pod = { entry: c.nodes[0]! };
    const dns = (host: string) => {
      const node = host === endpoint ? pod.entry : c.nodes.find((n) => host === `${n.name}.${headless}:8222`);
      if (!node) throw new Error(`unexpected DNS lookup ${host}`);
      if (down.has(node.name)) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      return `127.0.0.1:${node.monitorPort}`;
    };
    const routeName = (url: string) => `${c.nodes.find((n) => url === `127.0.0.1:${n.clusterPort}`)!.name}.${headless}:6222`;
    const meta = (consumer: string) => ({ ...(so.spec.triggers[0].metadata as TriggerMeta), consumer });
    return {
      c,
      pod,
      down,
      leaderURL: (name: string) => `http://${name}.${headless}:8222/jsz?acc=$G&consumers=true&config=true`,
      cache: (consumer = 'fulfillment') => new KedaScalersCache(() => new KedaNatsJetStreamScaler(meta(consumer), dns, routeName)),
    };
  }

  afterEach(async () => {
    await apps.stopAll();
    await cluster?.dispose();
    cluster = undefined;
  });

  it('after the consumer leader is SIGKILLed, KEDA (scaler rebuilt on error, as its ScalersCache does) reads the right lag from the new leader', async () => {
    setup = await chartCluster();
    const { c, pod, down } = setup;
    const oldLeader = c.node((await serverLag(c, 'fulfillment')).leader!);
    pod.entry = c.nodes.find((n) => n !== oldLeader)!;
    const keda = setup.cache();
    expect(await keda.metrics()).toMatchObject({ lag: 300, leaderURL: setup.leaderURL(oldLeader.name) });

    await c.stop(oldLeader, 'SIGKILL');
    down.add(oldLeader.name);
    const newLeader = await waitFor('a new fulfillment consumer leader', async () => {
      const l = (await serverLag(c, 'fulfillment')).leader;
      return l && l !== oldLeader.name ? l : undefined;
    }, 30_000, 250);
    pod.entry = c.nodes.find((n) => n !== oldLeader && n.name !== newLeader)!;
    const polls: string[] = [];
    const read = await waitFor('KEDA to read from the new leader', async () => {
      const m = await keda.metrics().catch((err: Error) => err);
      polls.push(m instanceof Error ? `error: ${m.message}` : `${m.lag}@${m.leaderURL.split('.')[0]!.replace('http://', '') || 'entry'}`);
      return m instanceof Error || m.leaderURL !== setup.leaderURL(newLeader) ? undefined : m;
    }, 30_000, 250);
    process.stdout.write(`KEDA leader change: ${oldLeader.name} killed, new leader ${newLeader}, entry ${pod.entry.name}; polls ${polls.join(', ')}; rebuilds ${keda.rebuilds}\n`);
    expect(read.lag).toBe(300);
    expect(read.lag).toBe((await serverLag(c, 'fulfillment')).lag);
    // Whatever KEDA read meanwhile, it never read a wrong lag: only the truth or an error.
    expect(polls.filter((p) => !p.startsWith('error') && !p.startsWith('300@'))).toEqual([]);
  });
});
