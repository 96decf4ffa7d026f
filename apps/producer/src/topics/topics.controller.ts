import { buildTopology, currentVersion, filterCoversTopic, topicVersions, UnknownTopicError, type Topology } from '#contracts';
import { JETSTREAM_TOPOLOGY, JetStreamAdmin } from '#jetstream';
import { Controller, Get, Header, Inject, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { problems } from '../problem/problem-details.js';
import { ContractDocument } from './contract.document.js';
import { schemaUrlOf, topicSchema } from './topic-schemas.js';
import { TopicViewDto } from './topic-view.dto.js';

const problem = { description: 'application/problem+json (RFC 9457)' };
const VERSION = /^[1-9][0-9]{0,5}$/;

@ApiTags('topics')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScope('topics:read')
@Controller('v1/topics')
export class TopicsController {
  constructor(
    @Inject(JETSTREAM_TOPOLOGY) private readonly topology: Topology,
    private readonly admin: JetStreamAdmin,
    private readonly contract: ContractDocument,
    private readonly env: ProducerEnvironment,
  ) {}

  @Get(':topic/schema')
  @Header('content-type', 'application/schema+json')
  @ApiOperation({
    summary: "JSON Schema (2020-12) of a topic's payload: the current version, or ?version=",
    description: 'Generated from the DTO the ingress validates with; stored messages link to it in ce-dataschema. A published version never changes incompatibly.',
  })
  @ApiParam({ name: 'topic', enum: buildTopology().topics.map((t) => t.name) })
  @ApiQuery({ name: 'version', required: false, schema: { type: 'integer', minimum: 1, maximum: 999_999 } })
  @ApiOkResponse({ content: { 'application/schema+json': { schema: { type: 'object' } } } })
  @ApiBadRequestResponse({ ...problem, description: 'version is not a positive integer' })
  @ApiNotFoundResponse({ ...problem, description: 'Unknown topic, or the topic has no such version' })
  schema(@Param('topic') name: string, @Query('version') version?: unknown): Record<string, unknown> {
    const topic = this.topology.topics.find((t) => t.name === name);
    if (!topic) throw new UnknownTopicError(name, this.topology.topics.map((t) => t.name));
    if (version !== undefined && (typeof version !== 'string' || !VERSION.test(version))) throw problems.badRequest('version must be a positive integer');
    const wanted = version === undefined ? currentVersion(topic) : Number(version);
    const schema = topicSchema(this.contract.document, topic, wanted, schemaUrlOf(this.env.publicUrl, topic.name, wanted));
    if (!schema) throw problems.notFound(`${topic.name} has no version ${wanted} (versions: ${topicVersions(topic).map((v) => v.version).join(', ')})`);
    return schema;
  }

  @Get()
  @ApiOperation({ summary: 'Topics with their stream and consumer statistics' })
  @ApiOkResponse({ type: [TopicViewDto] })
  @ApiServiceUnavailableResponse({ ...problem, description: 'JetStream did not answer in time; honour Retry-After' })
  async list(): Promise<TopicViewDto[]> {
    const streams = new Map(
      await Promise.all(this.topology.streams.map(async (s) => [s.name, await this.admin.streamInfo(s.name)] as const)),
    );
    const consumers = await Promise.all(
      this.topology.consumers.map(async (c) => ({ decl: c, info: await this.admin.consumerInfo(c.stream, c.durable) })),
    );
    return this.topology.topics.map((topic) => {
      const info = streams.get(topic.stream);
      return {
        name: topic.name,
        description: topic.description,
        subject: `${topic.name}.>`,
        payloadSchema: getSchemaPath(topic.payload),
        version: currentVersion(topic),
        versions: topicVersions(topic).map((v) => v.version),
        codec: topic.codec ?? 'json',
        stream: {
          name: topic.stream,
          exists: Boolean(info),
          messages: info?.state.messages ?? 0,
          bytes: info?.state.bytes ?? 0,
          firstSeq: info?.state.first_seq ?? 0,
          lastSeq: info?.state.last_seq ?? 0,
        },
        consumers: consumers
          .filter(({ decl }) => decl.stream === topic.stream && decl.filterSubjects.some((f) => filterCoversTopic(f, topic.name)))
          .map(({ decl, info: ci }) => ({
            name: decl.durable,
            filterSubjects: decl.filterSubjects,
            exists: Boolean(ci),
            pending: ci?.num_pending ?? 0,
            ackPending: ci?.num_ack_pending ?? 0,
            redelivered: ci?.num_redelivered ?? 0,
            waiting: ci?.num_waiting ?? 0,
          })),
      };
    });
  }
}
