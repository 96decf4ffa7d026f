import { setTimeout as sleep } from 'node:timers/promises';
import { ORDERS_STREAM } from '#contracts';
import {
  NatsCluster,
  NatsServer,
  NetworkNamespaces,
  netnsUnavailable,
  SmallFilesystem,
  smallFilesystemUnavailable,
  waitFor,
  type ClusterNode,
  type NatsClusterOptions,
} from '#test-support';
import type { FaultBroker, FaultScenario } from './fault-run.js';
import type { PublishLoad } from './publish-load.js';

/** How long a killed node stays down before it is restarted. */
const DOWN_MS = 5000;
const PARTITION_MS = 20_000;
const OUTAGE_MS = 30_000;

/** The cluster every multi-node scenario runs on: three nodes, fsync on every write. */
function startCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  return NatsCluster.start({ jetstreamExtra: ['sync_interval: always'], ...options });
}

function clusterBroker(cluster: NatsCluster, fault: (load: PublishLoad) => Promise<string>, cleanup: () => void = () => undefined, env?: Record<string, string>): FaultBroker {
  return {
    nats: cluster,
    replicas: 3,
    env,
    fault,
    dispose: async () => {
      try {
        await cluster.dispose();
      } finally {
        cleanup();
      }
    },
  };
}

/** SIGKILL a node, keep it down, start it again and wait for a healthy cluster. */
async function killAndRestart(cluster: NatsCluster, node: ClusterNode, downMs = DOWN_MS): Promise<void> {
  await cluster.stop(node, 'SIGKILL');
  await sleep(downMs);
  await cluster.start(node);
  await cluster.waitHealthy(60_000);
}

export const streamLeaderKill: FaultScenario = {
  id: 'stream-leader-kill',
  title: 'SIGKILL the ORDERS stream leader, restart it',
  async start() {
    const cluster = await startCluster();
    return clusterBroker(cluster, async () => {
      const leader = await cluster.streamLeader(ORDERS_STREAM);
      await killAndRestart(cluster, leader);
      const next = await cluster.streamLeader(ORDERS_STREAM);
      return `killed stream leader ${leader.name}, down ${DOWN_MS / 1000} s; leader now ${next.name}`;
    });
  },
};

export const metaLeaderKill: FaultScenario = {
  id: 'meta-leader-kill',
  title: 'SIGKILL the JetStream meta leader, restart it',
  async start() {
    const cluster = await startCluster();
    return clusterBroker(cluster, async () => {
      const leader = cluster.node(await cluster.metaLeader());
      const streamLeader = await cluster.streamLeader(ORDERS_STREAM);
      await killAndRestart(cluster, leader);
      return `killed meta leader ${leader.name} (${leader === streamLeader ? 'also' : 'not'} the stream leader), down ${DOWN_MS / 1000} s; meta leader now ${await cluster.metaLeader()}`;
    });
  },
};

export const followerKill: FaultScenario = {
  id: 'follower-kill',
  title: 'SIGKILL a stream follower, restart it',
  async start() {
    const cluster = await startCluster();
    return clusterBroker(cluster, async () => {
      const leader = await cluster.streamLeader(ORDERS_STREAM);
      const meta = await cluster.metaLeader();
      // Prefer a node that leads nothing, so only the follower role is under test.
      const followers = cluster.nodes.filter((n) => n !== leader);
      const follower = followers.find((n) => n.name !== meta) ?? followers[0]!;
      await killAndRestart(cluster, follower);
      return `killed follower ${follower.name}, down ${DOWN_MS / 1000} s; stream leader stayed ${(await cluster.streamLeader(ORDERS_STREAM)).name}`;
    });
  },
};

export const rollingRestart: FaultScenario = {
  id: 'rolling-restart',
  title: 'Rolling restart of all three nodes (SIGTERM, one at a time)',
  async start() {
    const cluster = await startCluster();
    return clusterBroker(cluster, async () => {
      const order: string[] = [];
      for (const node of cluster.nodes) {
        await cluster.restart(node, 'SIGTERM');
        await cluster.waitHealthy(60_000);
        order.push(node.name);
      }
      return `restarted ${order.join(', ')} one after another, waiting for a healthy cluster between`;
    });
  },
};

export const leaderPartition: FaultScenario = {
  id: 'leader-partition',
  title: `Network partition: stream leader cut off for ${PARTITION_MS / 1000} s, healed`,
  unavailable: netnsUnavailable,
  async start() {
    const net = NetworkNamespaces.create(3);
    let cluster: NatsCluster;
    try {
      cluster = await startCluster({ placement: net.placement });
    } catch (err) {
      net.dispose();
      throw err;
    }
    return clusterBroker(
      cluster,
      async () => {
        const leader = await cluster.streamLeader(ORDERS_STREAM);
        const i = cluster.nodes.indexOf(leader);
        net.cut(i);
        try {
          await sleep(PARTITION_MS);
        } finally {
          net.heal(i);
        }
        await cluster.waitHealthy(60_000);
        const next = await cluster.streamLeader(ORDERS_STREAM);
        return `cut ${leader.name} (${leader.host}) off from peers and clients for ${PARTITION_MS / 1000} s; stream leader after healing ${next.name}`;
      },
      () => net.dispose(),
      // The bridge is a private network this process created; the apps refuse passwords over non-loopback nats:// otherwise.
      { NATS_ALLOW_PLAINTEXT_AUTH: 'true' },
    );
  },
};

export const singleNodeKill: FaultScenario = {
  id: 'single-node-kill',
  title: `Single node: SIGKILL the broker while publishing, ${OUTAGE_MS / 1000} s outage, restart`,
  async start() {
    const nats = await NatsServer.start({ syncAlways: true });
    return {
      nats,
      replicas: 1,
      fault: async () => {
        await nats.stop('SIGKILL');
        await sleep(OUTAGE_MS);
        await nats.restart();
        return `SIGKILLed the only nats-server, restarted it on the same store after ${OUTAGE_MS / 1000} s`;
      },
      dispose: () => nats.dispose(),
    };
  },
};

export const processKills: FaultScenario = {
  id: 'process-kills',
  title: 'Single node: SIGKILL the broker, then the consumer, then the producer, under load',
  async start() {
    const nats = await NatsServer.start({ syncAlways: true });
    return {
      nats,
      replicas: 1,
      fault: async (_load, apps) => {
        await nats.stop('SIGKILL');
        await sleep(DOWN_MS);
        await nats.restart();
        await sleep(DOWN_MS);
        await apps.killConsumer();
        await sleep(DOWN_MS);
        await apps.killProducer();
        return `SIGKILLed nats-server (down ${DOWN_MS / 1000} s, restarted on the same store), then the consumer and the producer (each replaced by a new process) ${DOWN_MS / 1000} s apart`;
      },
      dispose: () => nats.dispose(),
    };
  },
};

const DISK_MB = 64;

export const fullDisk: FaultScenario = {
  id: 'full-disk',
  title: `Full disk: every node's store on a ${DISK_MB} MiB tmpfs, filled, then freed`,
  unavailable: smallFilesystemUnavailable,
  retryStatuses: [507],
  async start() {
    const disks: SmallFilesystem[] = [];
    const cleanup = () => disks.forEach((d) => d.dispose());
    let cluster: NatsCluster;
    try {
      for (let i = 0; i < 3; i++) disks.push(SmallFilesystem.mount(DISK_MB));
      cluster = await startCluster({ storeDirs: disks.map((d) => d.dir) });
    } catch (err) {
      cleanup();
      throw err;
    }
    const broker: FaultBroker = clusterBroker(
      cluster,
      async (load: PublishLoad) => {
        const refusedBefore = refusedAttempts(load);
        for (const d of disks) d.fill(0);
        let refused = 0;
        try {
          refused = await waitFor('the ingress to refuse publishes on a full disk', () => {
            const n = refusedAttempts(load) - refusedBefore;
            return n >= 20 ? n : 0;
          }, 60_000, 250);
        } finally {
          for (const d of disks) d.free();
        }
        // On ENOSPC nats-server disables JetStream ("out of File resources") or its Raft groups stop on a
        // critical write error; neither comes back by itself when space returns. Kubernetes restarts a node
        // whose JetStream is disabled (the official chart's liveness probe); anything else must heal alone.
        const logged = (re: RegExp) => cluster.nodes.filter((n) => n.log.some((l) => re.test(l))).map((n) => n.name);
        const seen = () =>
          `JetStream disabled on [${logged(/JetStream out of .* resources, will be DISABLED/).join(', ')}], Raft critical write errors on [${logged(/RAFT .* Critical write error/).join(', ')}]`;
        const restarted = await cluster.superviseLiveness({ timeoutMs: 90_000 }).catch((err: Error) => {
          broker.violations!.push(`service did not resume after space returned, even with the liveness probe (${seen()}): ${err.message}`);
          return null;
        });
        if (restarted === null) {
          for (const node of cluster.nodes) await cluster.restart(node, 'SIGTERM');
          await cluster.waitHealthy(60_000);
          return `filled all three stores (${DISK_MB} MiB tmpfs each), ${refused}+ publishes refused, deleted the filler files; not healthy under the liveness probe (${seen()}), restarted all nodes to check what was stored`;
        }
        const how = restarted.length === 0 ? 'the cluster recovered by itself' : `the liveness probe (/healthz?js-enabled-only=true, 3 failures) restarted [${restarted.join(', ')}]`;
        return `filled all three stores (${DISK_MB} MiB tmpfs each), ${refused}+ publishes refused, then deleted the filler files; ${seen()}; ${how}`;
      },
      cleanup,
    );
    broker.violations = [];
    return broker;
  },
};

function refusedAttempts(load: PublishLoad): number {
  return load.orders.reduce((n, o) => n + o.refusals.length, 0);
}

/** Every scenario of `npm run faults`, in the order they run. */
export const FAULT_SCENARIOS: FaultScenario[] = [streamLeaderKill, metaLeaderKill, followerKill, rollingRestart, leaderPartition, singleNodeKill, processKills, fullDisk];
