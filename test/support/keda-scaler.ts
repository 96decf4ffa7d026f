// A port of KEDA's nats-jetstream scaler (kedacore/keda pkg/scalers/nats_jetstream_scaler.go:
// getNATSJetstreamMonitoringData, setNATSJetStreamMonitoringData, getMaxMsgLag,
// GetMetricsAndActivity) and of the part of its ScalersCache that rebuilds a failing
// scaler, to evaluate the chart's ScaledObject against real nats-servers. The one
// substitution is name resolution: Kubernetes DNS names (the headless service,
// <pod>.<headless>) and the chart's route names (<pod>.<headless>:6222) are mapped to
// loopback ports by the caller.

export type TriggerMeta = Record<'natsServerMonitoringEndpoint' | 'account' | 'stream' | 'consumer' | 'lagThreshold' | 'activationLagThreshold' | 'useHttps', string>;
interface ConsumerDetail { name: string; num_pending: number; num_ack_pending: number; cluster?: { leader?: string } }
interface StreamDetail { name: string; state: { last_seq: number }; consumer_detail?: ConsumerDetail[] }
interface Jsz { meta_cluster?: { cluster_size?: number }; account_details?: Array<{ name: string; stream_detail?: StreamDetail[] }> }
interface Varz { server_name: string; connect_urls?: string[]; cluster?: { urls?: string[] } }

export class KedaNatsJetStreamScaler {
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
export class KedaScalersCache {
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

