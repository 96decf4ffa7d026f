import { buildTopology } from '#contracts';
import { Body, Controller, Headers, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiSecurity,
  ApiBody,
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
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { publishScope } from '../auth/scope.js';
import { BatchRequestDto } from './dto/batch-request.dto.js';
import { BatchResultDto, PublishResultDto } from './dto/publish-result.dto.js';
import { JsonContentTypeGuard } from '../http/json-content-type.guard.js';
import type { DeliveryTimeQuery } from './delivery-time.js';
import { MessagesService, type Caller } from './messages.service.js';

const payloads = buildTopology().topics.map((t) => t.payload);
const problem = { description: 'application/problem+json (RFC 9457)' };

@ApiTags('messages')
@ApiExtraModels(...payloads)
@ApiParam({ name: 'topic', example: 'orders.created', description: 'See GET /v1/topics' })
@ApiBadRequestResponse({ ...problem, description: 'Invalid JSON or payload; `errors` lists each field' })
@ApiNotFoundResponse({ ...problem, description: 'Unknown topic' })
@ApiPayloadTooLargeResponse(problem)
@ApiUnsupportedMediaTypeResponse(problem)
@ApiServiceUnavailableResponse({ ...problem, description: 'JetStream did not confirm in time; honour Retry-After' })
@ApiResponse({ status: 401, ...problem, description: 'No valid API key or JWT (WWW-Authenticate)' })
@ApiResponse({ status: 403, ...problem, description: 'The credential lacks publish:<topic>' })
@ApiResponse({ status: 429, ...problem, description: 'Rate limit of the credential reached; honour Retry-After' })
@ApiResponse({ status: 507, ...problem, description: 'The stream is full (discard new), or SCHEDULES_MAX_MESSAGES schedules are pending: not stored, nothing evicted' })
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
@UseGuards(JsonContentTypeGuard)
@Controller('v1/topics/:topic/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Publish one message; 202 only after JetStream stored it' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Scoped to the caller and topic: a repeat with the same payload within the duplicate window stores nothing new (202, duplicate: true); with a different payload 422',
  })
  @ApiResponse({ status: 422, description: 'Idempotency-Key reused with a different payload (problem+json)' })
  @ApiBody({ schema: { oneOf: payloads.map((p) => ({ $ref: getSchemaPath(p) })) } })
  @ApiAcceptedResponse({ type: PublishResultDto })
  publish(
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Query() when: DeliveryTimeQuery,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<PublishResultDto> {
    return this.messages.publishOne(callerOf(request), topic, body, idempotencyKey, deliveryQuery(when));
  }

  @Post('batch')
  @ApiOperation({ summary: 'Publish up to BATCH_MAX_MESSAGES messages; all are validated before any is published (deliverAt/delayMs apply to each)' })
  @ApiBody({ type: BatchRequestDto })
  @ApiAcceptedResponse({ type: BatchResultDto, description: 'Every message stored' })
  @ApiResponse({ status: 207, type: BatchResultDto, description: 'Some messages not confirmed: retry those with their ids as idempotencyKey' })
  async publishBatch(
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() when: DeliveryTimeQuery,
  ): Promise<BatchResultDto> {
    const outcome = await this.messages.publishBatch(callerOf(request), topic, body, deliveryQuery(when));
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
  return { id: request.principal!.id, trace: request.serverSpan?.ctx };
}
