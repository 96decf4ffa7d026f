import { filterCoversTopic, type Topology } from '#contracts';
import { JETSTREAM_TOPOLOGY, JetStreamAdmin } from '#jetstream';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { TopicViewDto } from './topic-view.dto.js';

@ApiTags('topics')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScope('topics:read')
@Controller('v1/topics')
export class TopicsController {
  constructor(
    @Inject(JETSTREAM_TOPOLOGY) private readonly topology: Topology,
    private readonly admin: JetStreamAdmin,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Topics with their stream and consumer statistics' })
  @ApiOkResponse({ type: [TopicViewDto] })
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
