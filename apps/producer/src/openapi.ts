import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

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
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs/openapi.json',
  });
}
