import {
  currentVersion,
  topicVersions,
  UnknownTopicError,
  validateTopicPayload,
  ValidationFailedError,
  type FieldError,
  type TopicDeclaration,
  type Topology,
} from '#contracts';
import { randomUUID } from 'node:crypto';
import {
  encodeTopicEvent,
  JETSTREAM_MANAGER,
  JETSTREAM_TOPOLOGY,
  JetStreamPublisher,
  MessageScheduler,
  PublishTimeoutError,
  SchedulesFullError,
  StreamFullError,
  type HeaderEntries,
  type PublishResult,
} from '#jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Context } from '@opentelemetry/api';
import { Inject, Injectable } from '@nestjs/common';
import { ProducerEnvironment } from '../config/producer.environment.js';
import type { BatchItemResultDto } from './dto/publish-result.dto.js';
import { parseDeliveryTime, type DeliveryTimeQuery } from './delivery-time.js';
import { IDEMPOTENCY_KEY, idempotentMsgId, PAYLOAD_DIGEST_HEADER, payloadDigest } from './idempotency.js';
import { BatchNotConfirmedError, IdempotencyKeyReusedError } from './messages.errors.js';
import type { IngressMessage } from './ingress-message.js';
import { MEDIA_TYPES } from './publish-media-types.js';
import { structuredEvent } from './structured-event.js';
import { schemaUrlOf } from '../topics/topic-schemas.js';
import type { QuotaOverrides } from '../quotas/quota-overrides.js';
import { QuotasService } from '../quotas/quotas.service.js';

/** Who publishes: the Principal id (the scope of idempotency keys) and the request's trace context, when traced. */
export interface Caller {
  id: string;
  /** Its own quota limits, if its credential has any. */
  quotas?: QuotaOverrides;
  trace?: Context;
}

/** A message encoded for the wire, not yet sent. */
interface Encoded {
  givenKey?: string;
  key: string;
  msgId: string;
  answerId?: string;
  subject: string;
  data: Uint8Array | string;
  headers: HeaderEntries;
  digest: string;
}

/** What the ingress answers for one stored message; a scheduled one also says when it will be delivered. */
export interface IngressResult extends PublishResult {
  scheduleId?: string;
  deliverAt?: string;
}

export interface BatchOutcome {
  status: 202 | 207;
  results: BatchItemResultDto[];
}

/**
 * Validation, routing and publishing for the REST ingress. Nothing is
 * published until all input is valid. Failures are domain errors; the
 * problem+json filter turns them into responses.
 */
@Injectable()
export class MessagesService {
  private readonly topics: Map<string, TopicDeclaration>;
  /** `ce-dataschema` of each topic version: `<PUBLIC_URL>/v1/topics/<topic>/schema?version=<n>`. */
  private readonly schemaUrls = new Map<string, string>();

  constructor(
    @Inject(JETSTREAM_TOPOLOGY) topology: Topology,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    private readonly publisher: JetStreamPublisher,
    private readonly scheduler: MessageScheduler,
    private readonly env: ProducerEnvironment,
    private readonly quotas: QuotasService,
  ) {
    this.topics = new Map(topology.topics.map((t) => [t.name, t]));
    for (const topic of topology.topics) {
      for (const { version } of topicVersions(topic)) this.schemaUrls.set(`${topic.name} ${version}`, schemaUrlOf(env.publicUrl, topic.name, version));
    }
  }

  topic(name: string): TopicDeclaration {
    const topic = this.topics.get(name);
    if (!topic) throw new UnknownTopicError(name, [...this.topics.keys()]);
    return topic;
  }

  /**
   * `body` is the payload (JSON or MessagePack, the topic's current version)
   * or, as `application/cloudevents+json`, a structured CloudEvent whose
   * `type` names the version. `when` (deliverAt or delayMs): store now,
   * deliver then (see parseDeliveryTime); empty, deliver now.
   */
  async publishOne(caller: Caller, topicName: string, body: unknown, mediaType: string, idempotencyKey?: string, when: DeliveryTimeQuery = {}): Promise<IngressResult> {
    const topic = this.topic(topicName);
    checkIdempotencyKey(idempotencyKey, 'Idempotency-Key header');
    const deliverAt = this.deliveryTime(when);
    let message: IngressMessage;
    if (mediaType === MEDIA_TYPES.cloudEvent) {
      const event = structuredEvent(topic, body);
      if (!event.message) throw new ValidationFailedError(event.errors);
      message = idempotencyKey === undefined ? event.message : { ...event.message, idempotencyKey, answerId: idempotencyKey };
    } else {
      const errors = validateTopicPayload(topic, body);
      if (errors.length > 0) throw new ValidationFailedError(errors);
      message = { payload: body as object, idempotencyKey };
    }
    const encoded = this.encode(caller, topic, message);
    await this.quotas.publishBytes(caller, byteLength(encoded.data));
    return this.publish(caller, topic, encoded, deliverAt);
  }

  /** `body` is `{"messages": [...]}` (JSON or MessagePack) or, as `application/cloudevents-batch+json`, an array of structured CloudEvents. `when` applies to every message. */
  async publishBatch(caller: Caller, topicName: string, body: unknown, mediaType: string, when: DeliveryTimeQuery = {}): Promise<BatchOutcome> {
    const topic = this.topic(topicName);
    const deliverAt = this.deliveryTime(when);
    const messages = mediaType === MEDIA_TYPES.cloudEventBatch ? this.eventBatch(topic, body) : this.payloadBatch(topic, body);
    return this.publishAll(caller, topic, messages, deliverAt);
  }

  private checkBatchSize(count: number, field: string): void {
    if (count === 0) throw new ValidationFailedError([{ field, messages: ['must contain at least 1 message'] }], 'empty batch');
    if (count > this.env.BATCH_MAX_MESSAGES) {
      throw new ValidationFailedError(
        [{ field, messages: [`must contain at most ${this.env.BATCH_MAX_MESSAGES} messages`] }],
        `batch of ${count} exceeds the limit of ${this.env.BATCH_MAX_MESSAGES}`,
      );
    }
  }

  private eventBatch(topic: TopicDeclaration, body: unknown): IngressMessage[] {
    if (!Array.isArray(body)) throw new ValidationFailedError([{ field: '(body)', messages: ['must be a JSON array of CloudEvents'] }], 'body must be [event, ...]');
    this.checkBatchSize(body.length, '(body)');
    const errors: FieldError[] = [];
    const ids = new Set<string>();
    const messages = body.map((item, i) => {
      const event = structuredEvent(topic, item, `[${i}]`);
      errors.push(...event.errors);
      const key = event.message?.idempotencyKey;
      if (key !== undefined && ids.has(key)) errors.push({ field: `[${i}].id`, messages: ['repeats the source and id of an event earlier in this batch'] });
      if (key !== undefined) ids.add(key);
      return event.message!;
    });
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return messages;
  }

  private payloadBatch(topic: TopicDeclaration, body: unknown): IngressMessage[] {
    const items = (body as { messages?: unknown } | null)?.messages;
    if (typeof body !== 'object' || body === null || !Array.isArray(items)) {
      throw new ValidationFailedError([{ field: 'messages', messages: ['must be an array'] }], 'body must be {"messages": [...]}');
    }
    const extra = Object.keys(body).filter((k) => k !== 'messages');
    if (extra.length > 0) {
      throw new ValidationFailedError(extra.map((field) => ({ field, messages: ['is not allowed'] })), 'body must be {"messages": [...]} and nothing else');
    }
    this.checkBatchSize(items.length, 'messages');
    const errors: FieldError[] = [];
    const keys = new Set<string>();
    for (const [i, item] of items.entries()) {
      const at = `messages[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        errors.push({ field: at, messages: ['must be an object with a payload'] });
        continue;
      }
      const { idempotencyKey, payload, ...rest } = item as Record<string, unknown>;
      for (const extra of Object.keys(rest)) errors.push({ field: `${at}.${extra}`, messages: ['is not allowed'] });
      if (idempotencyKey !== undefined) {
        if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
          errors.push({ field: `${at}.idempotencyKey`, messages: ['must be 1-128 visible ASCII characters'] });
        } else if (keys.has(idempotencyKey)) {
          errors.push({ field: `${at}.idempotencyKey`, messages: ['repeats a key earlier in this batch'] });
        } else keys.add(idempotencyKey);
      }
      errors.push(...validateTopicPayload(topic, payload, `${at}.payload`));
    }
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return items as IngressMessage[];
  }

  private async publishAll(caller: Caller, topic: TopicDeclaration, messages: IngressMessage[], deliverAt: Date | undefined): Promise<BatchOutcome> {
    const encoded = messages.map((m) => this.encode(caller, topic, m));
    await this.quotas.publishBytes(caller, encoded.reduce((sum, e) => sum + byteLength(e.data), 0));
    const settled = await Promise.allSettled(encoded.map((e) => this.publish(caller, topic, e, deliverAt)));
    const results = settled.map((s, index): BatchItemResultDto => {
      if (s.status === 'fulfilled') return { index, status: 202, ...s.value };
      const reason = s.reason as Error;
      if (reason instanceof IdempotencyKeyReusedError) return { index, status: 422, id: reason.key, error: reason.message };
      const id = reason instanceof PublishTimeoutError ? reason.msgId : '';
      return { index, status: isFull(reason) ? 507 : 503, id, error: reason.message };
    });
    const failed = results.filter((r) => r.status !== 202).length;
    const full = settled.find((s) => s.status === 'rejected' && isFull(s.reason)) as PromiseRejectedResult | undefined;
    if (full && results.every((r) => r.status === 507)) throw full.reason;
    if (results.every((r) => r.status === 503)) throw new BatchNotConfirmedError(results);
    return { status: failed === 0 ? 202 : 207, results };
  }

  private deliveryTime(when: DeliveryTimeQuery): Date | undefined {
    return parseDeliveryTime(when, Date.now(), this.env.SCHEDULE_MAX_DELAY_MS);
  }

  /**
   * Every message gets an idempotency key (the client's, a structured event's
   * source and id, or a new UUID, which the response returns as `id` so a
   * retry can send it). The msgID is derived from (caller, topic, key) and
   * the payload's digest travels in a header: a duplicate PubAck is checked
   * against the stored message, so a key reused for a different payload is a
   * 422, not a 202 that stored nothing. The message carries its CloudEvents
   * attributes (`ce-id` is the msgID unless the caller's event had an id) and
   * is encoded with the topic's codec. A scheduled message is stored the same
   * way in SCHEDULES, its schedule id being the msgID (a retry finds the
   * pending schedule).
   */
  private encode(caller: Caller, topic: TopicDeclaration, message: IngressMessage): Encoded {
    const givenKey = message.idempotencyKey;
    const key = givenKey ?? randomUUID();
    const msgId = idempotentMsgId(caller.id, topic.name, key);
    const version = message.version ?? currentVersion(topic);
    const { event } = message;
    const wire = encodeTopicEvent({
      topic,
      payload: message.payload,
      version,
      id: event?.id ?? msgId,
      source: event?.source ?? this.env.CLOUDEVENTS_SOURCE,
      time: event?.time,
      subject: event?.subject,
      extensions: event?.extensions,
      dataschema: this.schemaUrls.get(`${topic.name} ${version}`),
    });
    const digest = givenKey === undefined ? '' : payloadDigest(wire.data);
    // Only a client's own key can come back with another payload; a generated one costs no header.
    const headers: HeaderEntries = givenKey === undefined ? wire.headers : [...wire.headers, [PAYLOAD_DIGEST_HEADER, digest]];
    return { givenKey, key, msgId, answerId: message.answerId, subject: wire.subject, data: wire.data, headers, digest };
  }

  /** Sends what `encode` made: the charged bytes are the stored payloads (see QuotasService.publishBytes). */
  private async publish(caller: Caller, topic: TopicDeclaration, encoded: Encoded, deliverAt?: Date): Promise<IngressResult> {
    const { givenKey, key, msgId, subject, data, headers, digest } = encoded;
    let result: IngressResult;
    try {
      result = deliverAt
        ? await this.scheduler.schedule({ id: msgId, subject, data, deliverAt, msgId, scheduledBy: caller.id, headers, topic: topic.name, trace: caller.trace })
        : await this.publisher.publish(subject, data, { msgId, expectStream: topic.stream, topic: topic.name, trace: caller.trace, headers });
    } catch (err) {
      // The client retries with the key, not with the derived msgID.
      if (err instanceof PublishTimeoutError) throw new PublishTimeoutError(key, err.deadlineMs, { cause: err });
      throw err;
    }
    if (result.duplicate && givenKey !== undefined) {
      const stored = await this.jsm.streams.getMessage(result.stream, { seq: result.seq });
      // Gone (aged out) means it cannot be compared; the key was used, so it stays a duplicate.
      const storedDigest = stored?.header?.get(PAYLOAD_DIGEST_HEADER);
      if (storedDigest && storedDigest !== digest) throw new IdempotencyKeyReusedError(key, result.seq);
    }
    return { ...result, id: encoded.answerId ?? key };
  }
}

function byteLength(data: Uint8Array | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

function isFull(err: unknown): boolean {
  return err instanceof StreamFullError || err instanceof SchedulesFullError;
}

function checkIdempotencyKey(key: string | undefined, where: string): void {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationFailedError(
      [{ field: 'Idempotency-Key', messages: ['must be 1-128 visible ASCII characters'] }],
      `${where} must be 1-128 visible ASCII characters`,
    );
  }
}
