import type { AppProcess } from './app-process.js';
import { DLQ_TEST_TOPOLOGY } from './dead-letters.js';
import { Jaeger } from './jaeger.js';
import { NatsServer } from '#testing';
import { type Producer, provision, startConsumer, startProducer } from './system.js';

/** NATS, Jaeger, the producer and the consumer, both tracing to that Jaeger (which the producer also queries for traces); DLQ_TEST_TOPOLOGY, so poison dead-letters within a second. */
export interface TracedSystem {
  nats: NatsServer;
  jaeger: Jaeger;
  producer: Producer;
  consumer: AppProcess;
  stop(): Promise<void>;
}

export async function startTracedSystem(producerEnv: Record<string, string> = {}, consumerEnv: Record<string, string> = {}): Promise<TracedSystem> {
  const [nats, jaeger] = await Promise.all([NatsServer.start(), Jaeger.start()]);
  await provision(nats, DLQ_TEST_TOPOLOGY);
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
  const [producer, consumer] = await Promise.all([
    // The producer reads the same Jaeger for the console's trace view.
    startProducer(nats, { ...DLQ_TEST_TOPOLOGY, ...otel, JAEGER_QUERY_URL: jaeger.queryUrl, ...producerEnv }),
    startConsumer(nats, { ...DLQ_TEST_TOPOLOGY, ...otel, ...consumerEnv }),
  ]);
  return {
    nats,
    jaeger,
    producer,
    consumer,
    async stop() {
      await consumer.stop();
      await producer.app.stop();
      await jaeger.stop();
      await nats.dispose();
    },
  };
}
