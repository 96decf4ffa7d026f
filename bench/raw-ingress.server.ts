import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Fastify from 'fastify';
import { natsInboxPrefix } from '#jetstream';

/**
 * Baseline for the ingress benchmark: a bare Fastify route that only does
 * `js.publish` and answers with the PubAck. No validation, routing, retries
 * or problem documents.
 */
// Same user and inbox as the nestjet producer, so both pay the same permission checks.
const nc = await connect({ servers: process.env.NATS_URL, user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD, inboxPrefix: natsInboxPrefix('producer') });
const js = jetstream(nc);
const app = Fastify({ logger: false });
app.post('/v1/topics/:topic/messages', async (request, reply) => {
  const ack = await js.publish('orders.created.eu.std', JSON.stringify(request.body));
  return reply.status(202).send({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ event: 'raw.ready' })}\n`);
