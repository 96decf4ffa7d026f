import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export function setUpOpenApi(app: INestApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('nestjet ingress')
    .setDescription(
      'Publish events to NATS JetStream. 202 means stored (JetStream PubAck). Errors are RFC 9457 application/problem+json.',
    )
    .setVersion(version)
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs/openapi.json',
  });
}
