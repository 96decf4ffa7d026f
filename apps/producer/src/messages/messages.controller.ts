import { buildTopology, topicVersions } from '#contracts';
import { Body, Controller, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiSecurity,
  ApiExtraModels,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { publishScope } from '../auth/scope.js';
import { BatchResultDto, PublishResultDto } from './dto/publish-result.dto.js';
import { mediaTypeOf } from '../http/media-type.guard.js';
import { BatchMediaTypeGuard, SingleMediaTypeGuard } from './publish-media-types.js';
import type { DeliveryTimeQuery } from './delivery-time.js';
import { MessagesService, type Caller } from './messages.service.js';

// Every version's DTO is a component: the per-topic operations (publish-operations.ts) and the schema route refer to them.
const payloads = buildTopology().topics.flatMap((t) => topicVersions(t).map((v) => v.payload));
const problem = { description: 'application/problem+json (RFC 9457)' };

@ApiTags('messages')
@ApiExtraModels(...payloads)
@ApiParam({ name: 'topic', example: 'orders.created', description: 'See GET /v1/topics' })
@ApiBadRequestResponse({
  ...problem,
  description:
    'Invalid JSON, MessagePack, CloudEvent or payload (nested deeper than 64 levels, more than 262,144 values, or an invalid payload of more than 5,000 values is refused whole), or bad deliverAt/delayMs; `errors` lists each field',
})
@ApiNotFoundResponse({ ...problem, description: 'Unknown topic' })
@ApiPayloadTooLargeResponse(problem)
@ApiUnsupportedMediaTypeResponse(problem)
@ApiServiceUnavailableResponse({ ...problem, description: 'JetStream did not confirm in time; honour Retry-After' })
@ApiResponse({ status: 401, ...problem, description: 'No valid API key or JWT (WWW-Authenticate)' })
@ApiResponse({ status: 403, ...problem, description: 'The credential lacks publish:<topic> (checked before the body is read)' })
@ApiResponse({
  status: 429,
  ...problem,
  description:
    'A quota of the credential, shared by all producer pods, is used up for its window: `quota` names it (`requests`, `publish-bytes`; `auth-failures` per address for refused credentials), with `limit` per `windowSeconds`; honour Retry-After',
})
@ApiResponse({
  status: 507,
  ...problem,
  description: 'The stream is full (discard new), or SCHEDULES is at a cap (`quota`: `schedules-messages`, `schedules-bytes`, `schedules-per-caller`, or `schedules-bytes-per-caller`): not stored, nothing evicted; honour Retry-After',
})
@ApiQuery({
  name: 'deliverAt',
  required: false,
  description:
    'Deliver at this time, RFC 3339 with a zone (e.g. 2026-11-29T10:00:05Z): stored at once in SCHEDULES, delivered by the nats-server scheduler at that time, never before. The answer carries scheduleId (GET/DELETE /v1/schedules/{id}). Not with delayMs.',
  example: '2026-11-29T10:00:05Z',
})
@ApiQuery({ name: 'delayMs', required: false, description: 'Deliver this many milliseconds from now (an integer ≥ 1), like deliverAt. Not with deliverAt.', example: 5000 })
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScope((request) => publishScope((request.params as { topic: string }).topic))
@Controller('v1/topics/:topic/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post()
  @HttpCode(202)
  @UseGuards(SingleMediaTypeGuard)
  @ApiOperation({ summary: 'Publish one message; 202 only after JetStream stored it' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Scoped to the caller and topic: a repeat with the same payload within the duplicate window stores nothing new (202, duplicate: true); with a different payload 422',
  })
  @ApiResponse({ status: 422, ...problem, description: 'Idempotency-Key (or CloudEvent source and id) reused with a different payload' })
  @ApiAcceptedResponse({ type: PublishResultDto })
  publish(
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Query() when: DeliveryTimeQuery,
  ): Promise<PublishResultDto> {
    // Read here rather than with @Headers(), which the document would list as a required parameter.
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    return this.messages.publishOne(callerOf(request), topic, body, mediaTypeOf(request)!, idempotencyKey, deliveryQuery(when));
  }

  @Post('batch')
  @UseGuards(BatchMediaTypeGuard)
  @ApiOperation({ summary: 'Publish up to BATCH_MAX_MESSAGES messages; all are validated before any is published (deliverAt/delayMs apply to each)' })
  @ApiAcceptedResponse({ type: BatchResultDto, description: 'Every message stored' })
  @ApiResponse({ status: 207, type: BatchResultDto, description: 'Some messages not confirmed: retry those with their ids as idempotencyKey' })
  async publishBatch(
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() when: DeliveryTimeQuery,
  ): Promise<BatchResultDto> {
    const outcome = await this.messages.publishBatch(callerOf(request), topic, body, mediaTypeOf(request)!, deliveryQuery(when));
    void reply.status(outcome.status);
    return { results: outcome.results };
  }
}

/** Only the delivery-time parameters: others are ignored, as before they existed. */
function deliveryQuery({ deliverAt, delayMs }: DeliveryTimeQuery): DeliveryTimeQuery {
  return { deliverAt, delayMs };
}

/** The authentication hook has run: every request that reaches a handler has a principal. */
function callerOf(request: FastifyRequest): Caller {
  const { id, quotas } = request.principal!;
  return { id, quotas, trace: request.serverSpan?.ctx };
}
