import type { Topology } from '#contracts';
import { JETSTREAM_TOPOLOGY } from '#jetstream';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ProducerEnvironment } from './config/producer.environment.js';
import { documentPublishOperations } from './messages/publish-operations.js';
import { ContractDocument } from './topics/contract.document.js';
import { closePayloadSchemas } from './topics/topic-schemas.js';

/** Built once at start-up: /docs serves it and the schema route reads the payload schemas from it. */
export function setUpOpenApi(app: INestApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('nestjet ingress')
    .setDescription(
      'Publish events to NATS JetStream. 202 means stored (JetStream PubAck). Errors are RFC 9457 application/problem+json.',
    )
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key or JWT' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  const topics = app.get<Topology>(JETSTREAM_TOPOLOGY).topics;
  const document = SwaggerModule.createDocument(app, config);
  closePayloadSchemas(document, topics);
  documentPublishOperations(document, topics, app.get(ProducerEnvironment).BATCH_MAX_MESSAGES);
  app.get(ContractDocument).use(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
  });
}
