import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NATS_COMPONENTS, type NatsComponent } from '#jetstream';
import { generateTlsFiles, NatsEndpoint, NatsUsers, TEST_API_KEY, writeApiKeysFile, type TlsFiles } from '#test-support';
import type { ConnectionOptions } from '@nats-io/transport-node';
import { chartWithOfficialNats } from '../chart/official-nats-chart.js';
import { CLUSTER_IMAGES, helm, HOST_IP, kubectl, kubectlJson, log, PodLogCollector, serviceUrl } from './kube.js';

export const RELEASE = 'nestjet';
export const CONSUMER_SELECTOR = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=consumer`;
const NATS_FULLNAME = `${RELEASE}-nats`;
/** A fixed ClusterIP for the NATS client Service, so the test's TLS certificate can name it. */
export const NATS_CLUSTER_IP = '10.96.100.100';

const [nestjetRepository, nestjetTag] = splitRef(CLUSTER_IMAGES.nestjet.ref);
const [natsRepository, natsTag] = splitRef(CLUSTER_IMAGES.nats.ref);

function splitRef(ref: string): [string, string] {
  const at = ref.lastIndexOf(':');
  return [ref.slice(0, at), ref.slice(at + 1)];
}

/** Values deep-merged: objects merge, everything else replaces. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mergeValues(...layers: any[]): any {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const out: any = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) {
      out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? mergeValues(out[k], v) : v;
    }
  }
  return out;
}

/**
 * The chart's values for this cluster: the images imported into containerd
 * (never pulled), NATS with TLS on the client port and no plaintext passwords,
 * the test's API key instead of a generated one (so orders' stored ids are
 * known), sidecars whose images this machine cannot build turned off, and the
 * host (where the tests run) admitted to the producer and NATS by the policies.
 */
export function clusterValues(natsReplicas: 1 | 3): Record<string, unknown> {
  return {
    image: { repository: nestjetRepository, tag: nestjetTag, pullPolicy: 'Never' },
    nats: {
      config: {
        cluster: natsReplicas === 3 ? { enabled: true, replicas: 3 } : { enabled: false },
        // The streams' byte limits (1 GiB ORDERS, 1 GiB DLQ, …) must fit the JetStream store.
        jetstream: { fileStore: { pvc: { size: '4Gi' } } },
        nats: { tls: { enabled: true, secretName: `${RELEASE}-nats-tls` } },
      },
      container: { image: { repository: natsRepository, tag: natsTag, pullPolicy: 'Never' } },
      reloader: { enabled: false },
      promExporter: { enabled: false },
      natsBox: { enabled: false },
      service: { merge: { spec: { clusterIP: NATS_CLUSTER_IP } } },
    },
    // The TLS Secret is the test's own (its CA names the ClusterIP the host connects to): the chart makes none.
    natsTls: { generate: false },
    topology: { streamReplicas: natsReplicas },
    producer: {
      auth: { apiKeys: { generate: false, existingSecret: `${RELEASE}-test-api-keys`, key: 'api-keys.json' } },
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '384Mi' } },
    },
    consumer: { resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '384Mi' } } },
    tests: { auth: { existingSecret: `${RELEASE}-test-api-keys`, key: 'key' } },
    // The NetworkPolicies are enforced (kube-router): the tests publish and inspect from the host.
    networkPolicy: { producerExtraFrom: [{ ipBlock: { cidr: `${HOST_IP}/32` } }], natsExtraFrom: [{ ipBlock: { cidr: `${HOST_IP}/32` } }] },
  };
}

/** The release's NATS as tests reach it from the host: its ClusterIP, the users' passwords from their Secrets, the test CA. */
export class ClusterNats extends NatsEndpoint {
  readonly url = `tls://${NATS_CLUSTER_IP}:4222`;
  readonly tls?: TlsFiles = undefined;

  constructor(
    readonly users: NatsUsers,
    private readonly ca: string,
    private readonly serverName: string,
  ) {
    super();
  }

  /** nats.js names no TLS server for an IP address (Node then checks "localhost"): name the Service, as the certificate does. */
  override connectOptions(component: NatsComponent): ConnectionOptions {
    return { ...super.connectOptions(component), tls: { caFile: this.ca, servername: this.serverName } as ConnectionOptions['tls'] };
  }
}

export class NestjetRelease {
  private constructor(
    readonly namespace: string,
    readonly tlsFiles: TlsFiles,
  ) {}

  /**
   * Creates the namespace, the test API key Secret and the NATS TLS Secret, then
   * `helm install` of the real chart with the official nats chart vendored, and
   * waits (helm --wait) for every Deployment and StatefulSet to be ready.
   */
  static async install(namespace: string, values: Record<string, unknown>): Promise<NestjetRelease> {
    await kubectl(['create', 'namespace', namespace]);
    await kubectl(['label', 'namespace', namespace, `kubernetes.io/metadata.name=${namespace}`, '--overwrite']);
    const keys = writeApiKeysFile([TEST_API_KEY]);
    await kubectl(['-n', namespace, 'create', 'secret', 'generic', `${RELEASE}-test-api-keys`, `--from-file=api-keys.json=${keys}`, `--from-literal=key=${TEST_API_KEY.key}`]);
    const dir = mkdtempSync(join(tmpdir(), 'nestjet-cluster-tls-'));
    const headless = `${NATS_FULLNAME}-headless.${namespace}.svc.cluster.local`;
    // *.<headless> short form: the route URLs the official chart writes name peers <pod>.<headless service>.
    const tls = generateTlsFiles(dir, [NATS_CLUSTER_IP, NATS_FULLNAME, `${NATS_FULLNAME}.${namespace}`, `${NATS_FULLNAME}.${namespace}.svc`, `${NATS_FULLNAME}.${namespace}.svc.cluster.local`, `*.${headless}`, headless, `*.${NATS_FULLNAME}-headless`]);
    await kubectl(['-n', namespace, 'create', 'secret', 'generic', `${RELEASE}-nats-tls`, `--from-file=tls.crt=${tls.serverCert}`, `--from-file=tls.key=${tls.serverKey}`, `--from-file=ca.crt=${tls.ca}`]);
    const release = new NestjetRelease(namespace, tls);
    await release.helm('install', values);
    return release;
  }

  /** `helm install|upgrade` with `values`, waiting for the rollout (and hooks) to finish. */
  async helm(verb: 'install' | 'upgrade', values: Record<string, unknown>, timeout = '10m'): Promise<string> {
    const file = join(mkdtempSync(join(tmpdir(), 'nestjet-values-')), 'values.json');
    writeFileSync(file, JSON.stringify(values));
    return helm([verb, RELEASE, chartWithOfficialNats(), '-n', this.namespace, '-f', file, '--wait', `--timeout=${timeout}`]);
  }

  async nats(): Promise<ClusterNats> {
    const passwords = {} as Record<NatsComponent, string>;
    for (const user of NATS_COMPONENTS) {
      const secret = await kubectlJson<{ data: { password: string } }>(['-n', this.namespace, 'get', 'secret', `${NATS_FULLNAME}-${user}`]);
      passwords[user] = Buffer.from(secret.data.password, 'base64').toString('utf8');
    }
    return new ClusterNats(NatsUsers.withPasswords(passwords), this.tlsFiles.ca, `${NATS_FULLNAME}.${this.namespace}.svc.cluster.local`);
  }

  async uninstall(): Promise<void> {
    await helm(['uninstall', RELEASE, '-n', this.namespace, '--wait', '--timeout=5m']).catch(() => undefined);
    await kubectl(['delete', 'namespace', this.namespace, '--wait=true', '--timeout=5m']).catch(() => undefined);
  }
}

/** A release under load: the consumers' log events followed, the producer Service's URL. */
export interface LoadTarget {
  release: NestjetRelease;
  collector: PodLogCollector;
  producerUrl: string;
}

export async function installLoadTarget(namespace: string, values: Record<string, unknown>, what: string): Promise<LoadTarget> {
  const started = Date.now();
  const release = await NestjetRelease.install(namespace, values);
  log(`helm install (${what}) took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const collector = await new PodLogCollector(namespace, CONSUMER_SELECTOR).start();
  return { release, collector, producerUrl: await serviceUrl(namespace, `${RELEASE}-producer`) };
}

export async function disposeLoadTarget(target: LoadTarget | undefined): Promise<void> {
  await target?.collector.stop();
  await target?.release.uninstall();
}
