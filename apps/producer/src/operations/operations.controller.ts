import type { ConsumerDeclaration, Topology } from '#contracts';
import { DLQ_ROUTER_DURABLE, isConnected, JETSTREAM_TOPOLOGY, JetStreamAdmin, NATS_CONNECTION, PresenceTracker } from '#jetstream';
import { serviceVersion } from '#telemetry';
import { applyDecorators, Body, Controller, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyRequest } from 'fastify';
import { Audited, field, param } from '../audit/audited.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { requireEmptyBody } from '../http/empty-body.js';
import { JsonContentTypeGuard } from '../http/media-type.guard.js';
import { ApiEmptyJsonBody, ApiProblems } from '../problem/api-problems.js';
import { problems } from '../problem/problem-details.js';
import { JaegerQueryClient } from './jaeger-query.client.js';
import { HISTORY_MS, OperationsSampler } from './operations.sampler.js';
import { consumerView, streamView, type ConsumerDetailView, type OperationsOverview } from './operations.view.js';
import { parsePauseRequest } from './pause-request.js';
import { parseResetRequest } from './reset-request.js';
import type { TraceView } from './trace.view.js';

/** The overview's sparklines reach back this far; the consumer page shows the whole history. */
const OVERVIEW_WINDOW_MS = 2 * 60_000;

const ApiConsumer = () =>
  applyDecorators(
    ApiParam({ name: 'stream', description: 'A declared stream (GET /v1/ops/overview lists them)', example: 'ORDERS' }),
    ApiParam({ name: 'consumer', description: 'A durable declared on that stream', example: 'fulfillment' }),
    ApiProblems({ 404: 'No such consumer declared on that stream' }),
  );

const consumerTarget = (r: FastifyRequest) => `consumer/${param(r, 'stream')}/${param(r, 'consumer')}`;

/** Pause, resume and reset change a consumer; they share these answers. */
const ApiManage = () =>
  applyDecorators(
    ApiConsumer(),
    ApiOkResponse({ description: "The consumer's new state", schema: { type: 'object' } }),
    ApiProblems({
      409: 'The DLQ router cannot be paused or reset; or the server refused (a reset past the end of the stream)',
      503: 'JetStream did not answer in time; honour Retry-After',
    }),
  );

/** What the operations console and CLI read and do besides the DLQ: live stream and consumer state, pause/resume/reset, traces. */
@ApiTags('operations')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScope('ops:read')
@Controller('v1/ops')
export class OperationsController {
  constructor(
    private readonly sampler: OperationsSampler,
    private readonly admin: JetStreamAdmin,
    private readonly presence: PresenceTracker,
    private readonly jaeger: JaegerQueryClient,
    @Inject(JETSTREAM_TOPOLOGY) private readonly topology: Topology,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
  ) {}

  @Get('whoami')
  @ApiOperation({ summary: 'The caller as the API sees it: identity and scopes (the console signs in with it)' })
  @ApiOkResponse({
    description: 'The caller',
    schema: { type: 'object', required: ['id', 'scopes'], properties: { id: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } } },
  })
  whoami(@Req() request: FastifyRequest): { id: string; scopes: string[] } {
    const { id, scopes } = request.principal!;
    return { id, scopes };
  }

  @Get('overview')
  @ApiOperation({ summary: 'Every declared stream and consumer with rates and 2 minutes of history, and the health of NATS, producer and consumers' })
  @ApiOkResponse({
    description: 'The overview the console draws',
    schema: { type: 'object', required: ['intervalMs', 'health', 'streams', 'consumers'], properties: { sampledAt: { type: 'string', format: 'date-time', nullable: true }, intervalMs: { type: 'integer' }, health: { type: 'object' }, streams: { type: 'array', items: { type: 'object' } }, consumers: { type: 'array', items: { type: 'object' } } } },
  })
  async overview(): Promise<OperationsOverview> {
    const samples = await this.sampler.history(OVERVIEW_WINDOW_MS);
    const consumers = this.topology.consumers.map((c) => this.consumerOf(samples, c)).map(({ config: _config, ...view }) => view);
    return {
      sampledAt: samples.length > 0 ? new Date(samples.at(-1)!.t).toISOString() : null,
      intervalMs: this.sampler.intervalMs,
      health: {
        nats: { connected: isConnected(this.nc), jetstream: this.sampler.reachable },
        producer: { status: 'up', version: serviceVersion(), uptimeSeconds: Math.round(process.uptime()) },
        consumers: consumers.map(({ stream, name, workers }) => ({ stream, name, workers })),
      },
      streams: this.topology.streams.flatMap((s) => streamView(samples, s.name, consumers) ?? []),
      consumers,
    };
  }

  @Get('consumers/:stream/:consumer')
  @ApiOperation({ summary: 'One consumer: configuration, state and 15 minutes of lag and rate history' })
  @ApiConsumer()
  @ApiOkResponse({ description: 'The consumer', schema: { type: 'object', required: ['stream', 'name'], properties: { stream: { type: 'string' }, name: { type: 'string' } } } })
  async consumer(@Param('stream') stream: string, @Param('consumer') consumer: string): Promise<ConsumerDetailView> {
    const declared = this.declared(stream, consumer);
    return this.consumerOf(await this.sampler.history(HISTORY_MS), declared);
  }

  @Post('consumers/:stream/:consumer/pause')
  @HttpCode(200)
  @RequireScope('consumers:manage')
  @UseGuards(JsonContentTypeGuard)
  @Audited({ action: 'consumer.pause', target: consumerTarget, details: (r, answer) => ({ until: field(r, 'until'), pauseUntil: (answer as { pauseUntil?: unknown } | undefined)?.pauseUntil }) })
  @ApiOperation({ summary: 'Pause deliveries to a consumer until a time (default 24 h from now); the server resumes it then' })
  @ApiManage()
  @ApiBody({
    required: true,
    description: '`{}` (or an empty body): for 24 hours; `{"until": "<RFC 3339>"}`: until then, which must be in the future and within a year (else 400). Sent as application/json',
    schema: { type: 'object', properties: { until: { type: 'string', format: 'date-time' } }, additionalProperties: false },
  })
  @ApiProblems({ 400: 'The body is malformed, or until is not in the future within a year', 415: 'Content-Type is not application/json' })
  async pause(@Param('stream') stream: string, @Param('consumer') consumer: string, @Body() body: unknown) {
    const { until } = parsePauseRequest(body, new Date());
    const declared = this.manageable(stream, consumer);
    const state = await this.admin.pauseConsumer(declared.stream, declared.durable, until);
    void this.sampler.sample(); // the next overview shows it at once
    return state;
  }

  @Post('consumers/:stream/:consumer/resume')
  @HttpCode(200)
  @RequireScope('consumers:manage')
  @UseGuards(JsonContentTypeGuard)
  @Audited({ action: 'consumer.resume', target: consumerTarget })
  @ApiOperation({ summary: 'Resume a paused consumer now' })
  @ApiManage()
  @ApiEmptyJsonBody()
  @ApiProblems({ 400: 'The body is not empty' })
  async resume(@Param('stream') stream: string, @Param('consumer') consumer: string, @Body() body: unknown) {
    requireEmptyBody(body);
    const declared = this.manageable(stream, consumer);
    const state = await this.admin.resumeConsumer(declared.stream, declared.durable);
    void this.sampler.sample();
    return state;
  }

  @Post('consumers/:stream/:consumer/reset')
  @HttpCode(200)
  @RequireScope('consumers:manage')
  @UseGuards(JsonContentTypeGuard)
  @Audited({ action: 'consumer.reset', target: consumerTarget, details: (r, answer) => ({ seq: field(r, 'seq'), resetSeq: (answer as { resetSeq?: unknown } | undefined)?.resetSeq }) })
  @ApiOperation({ summary: 'Deliver again from a stream sequence (`{"seq": n}`), or clear the delivery state keeping the ack floor (`{}`); the durable stays (nats-server ≥ 2.14)' })
  @ApiManage()
  @ApiBody({
    required: true,
    description: '`{}` (or an empty body) or `{"seq": n}`, sent as application/json',
    schema: { type: 'object', properties: { seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }, additionalProperties: false },
  })
  @ApiProblems({ 400: 'The body is malformed', 415: 'Content-Type is not application/json' })
  async reset(@Param('stream') stream: string, @Param('consumer') consumer: string, @Body() body: unknown) {
    const { seq } = parseResetRequest(body);
    const declared = this.manageable(stream, consumer);
    try {
      const state = await this.admin.resetConsumer(declared.stream, declared.durable, seq);
      void this.sampler.sample();
      return state;
    } catch (err) {
      // The server refuses what it cannot do (a sequence past the stream's end, a deliver policy without a start): the request, not us.
      if (err instanceof JetStreamApiError && err.status < 500) throw problems.conflict(`the server refused the reset: ${err.message}`);
      throw err;
    }
  }

  @Get('traces/:traceId')
  @ApiOperation({ summary: "One trace's spans from Jaeger's query API (JAEGER_QUERY_URL), for the console's trace view" })
  @ApiParam({ name: 'traceId', description: 'W3C trace id', schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } })
  @ApiOkResponse({ description: "The trace's spans", schema: { type: 'object' } })
  @ApiProblems({
    400: 'The trace id is not 32 lowercase hex digits',
    404: 'Jaeger has no such trace (not sampled, not exported yet, or past its retention)',
    503: "JAEGER_QUERY_URL is not set, or Jaeger's query API did not answer",
  })
  trace(@Param('traceId') traceId: string): Promise<TraceView> {
    return this.jaeger.trace(traceId);
  }

  private consumerOf(samples: Parameters<typeof consumerView>[0], c: ConsumerDeclaration): ConsumerDetailView {
    return consumerView(samples, c.stream, c.durable, this.presence.workers(c.stream, c.durable));
  }

  private declared(stream: string, consumer: string): ConsumerDeclaration {
    const found = this.topology.consumers.find((c) => c.stream === stream && c.durable === consumer);
    if (!found) throw problems.notFound(`no declared consumer ${consumer} on stream ${stream}`);
    return found;
  }

  /** Pause, resume and reset are for the topics' workers; the DLQ router is part of the dead-letter path, not a queue to hold or rewind. */
  private manageable(stream: string, consumer: string): ConsumerDeclaration {
    const found = this.declared(stream, consumer);
    if (found.durable === DLQ_ROUTER_DURABLE) throw problems.conflict('the DLQ router cannot be paused or reset from here: dead letters would stop being recorded or be recorded twice');
    return found;
  }
}
