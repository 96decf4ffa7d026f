import { topicVersions, type TopicDeclaration } from '#contracts';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ApiExtraModels, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { breakingChanges } from './schema-compatibility.js';
import { closePayloadSchemas, topicSchema } from './topic-schemas.js';

/**
 * The payload components exactly as the ingress's OpenAPI document derives
 * them (same DTO decorators, same generator), without starting the service.
 */
export async function payloadSchemasDocument(topics: readonly TopicDeclaration[]): Promise<OpenAPIObject> {
  @ApiExtraModels(...topics.flatMap((t) => topicVersions(t).map((v) => v.payload)))
  @Controller()
  class PayloadSchemas {}
  @Module({ controllers: [PayloadSchemas] })
  class PayloadSchemasModule {}
  const app = await NestFactory.create(PayloadSchemasModule, new FastifyAdapter(), { logger: false });
  try {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    closePayloadSchemas(document, topics);
    return document;
  } finally {
    await app.close();
  }
}

const fileOf = (dir: string, topic: string, version: number) => join(dir, `${topic}.v${version}.schema.json`);

export interface SchemaCheck {
  /** Declared versions without a published schema: publish them (`npm run schemas -- publish`). */
  unpublished: string[];
  /** `<topic> v<n>: <change>` for every incompatible change to a published version. */
  breaking: string[];
}

/** Compares every declared version with its published schema in `dir`. */
export async function checkPublishedSchemas(topics: readonly TopicDeclaration[], dir: string): Promise<SchemaCheck> {
  const document = await payloadSchemasDocument(topics);
  const result: SchemaCheck = { unpublished: [], breaking: [] };
  for (const topic of topics) {
    for (const { version } of topicVersions(topic)) {
      const file = fileOf(dir, topic.name, version);
      if (!existsSync(file)) {
        result.unpublished.push(`${topic.name} v${version}`);
        continue;
      }
      const published = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const current = topicSchema(document, topic, version, published.$id as string)!;
      result.breaking.push(...breakingChanges(published, current).map((p) => `${topic.name} v${version}: ${p}`));
    }
  }
  return result;
}

/** Writes the schema of every version not yet published; a published one is never overwritten. */
export async function publishSchemas(topics: readonly TopicDeclaration[], dir: string): Promise<string[]> {
  const document = await payloadSchemasDocument(topics);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const topic of topics) {
    for (const { version } of topicVersions(topic)) {
      const file = fileOf(dir, topic.name, version);
      if (existsSync(file)) continue;
      const schema = topicSchema(document, topic, version, `/v1/topics/${topic.name}/schema?version=${version}`);
      writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
      written.push(file);
    }
  }
  return written;
}
