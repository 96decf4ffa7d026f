import type { Topology } from '#contracts';
import { JETSTREAM_TOPOLOGY } from '#jetstream';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ProducerEnvironment } from './config/producer.environment.js';
import { documentPublishOperations } from './messages/publish-operations.js';
import { PROBLEM_CONTENT_TYPE } from './problem/problem-details.js';
import { ContractDocument } from './topics/contract.document.js';
import { closePayloadSchemas } from './topics/topic-schemas.js';

/** Built once at start-up: /docs serves it and the schema route reads the payload schemas from it. */
export function setUpOpenApi(app: INestApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('nestjet ingress')
    .setDescription(
      'Publish events to NATS JetStream. 202 means stored (JetStream PubAck). Errors are RFC 9457 application/problem+json. ' +
        'A method a path does not serve is answered 405 with Allow.',
    )
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key or JWT' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  const topics = app.get<Topology>(JETSTREAM_TOPOLOGY).topics;
  const document = SwaggerModule.createDocument(app, config);
  closePayloadSchemas(document, topics);
  documentPublishOperations(document, topics, app.get(ProducerEnvironment).BATCH_MAX_MESSAGES);
  withProblemResponses(document);
  app.get(ContractDocument).use(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
  });
}

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;
type ResponseObject = Exclude<OperationObject['responses'][string], { $ref: string }>;

const PROBLEM_SCHEMA = 'ProblemDetails';

/** Responses every authenticated operation can give, whatever its controller says. */
const AUTHENTICATED: Record<string, ResponseObject> = {
  '401': {
    description: 'No valid credential, or both Authorization and X-API-Key sent',
    headers: { 'WWW-Authenticate': { description: 'The schemes the API accepts', schema: { type: 'string' } } },
  },
  '403': { description: 'The credential lacks the scope this operation needs (`scope` names it)' },
  '429': {
    description:
      'A quota shared by all producer pods is used up for its window: `quota` names it (`requests` or `publish-bytes` of the credential; `auth-failures` of the address for a refused credential), with `limit` per `windowSeconds`; honour Retry-After',
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 1 } } },
  },
};

/**
 * The document as a client needs it: every 4xx/5xx response has the RFC 9457
 * body it really has (application/problem+json), and every operation behind a
 * credential lists 401, 403 and 429, which the authentication hooks, the scope
 * guard and the quotas answer before any controller runs, and every one
 * with path parameters 400, which the router answers for a malformed one.
 */
export function withProblemResponses(document: OpenAPIObject): OpenAPIObject {
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      [PROBLEM_SCHEMA]: {
        type: 'object',
        description: 'RFC 9457 problem details; extension members (errors, scope, allowed, …) carry specifics',
        required: ['type', 'title', 'status'],
        properties: {
          type: { type: 'string', example: 'urn:nestjet:problem:validation' },
          title: { type: 'string' },
          status: { type: 'integer', minimum: 400, maximum: 599 },
          detail: { type: 'string' },
          instance: { type: 'string' },
          quota: {
            type: 'string',
            description: 'On 429 and 507: the quota reached',
            enum: ['requests', 'publish-bytes', 'public-requests', 'auth-failures', 'schedules-messages', 'schedules-bytes', 'schedules-per-caller', 'schedules-bytes-per-caller'],
          },
          limit: { type: 'integer', minimum: 1, description: 'On 429 and 507: the quota, in requests or bytes' },
          windowSeconds: { type: 'number', description: 'On 429: the window the quota counts in' },
        },
        additionalProperties: true,
      },
    },
  };
  const content = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` } } };
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const operation = item[method] as OperationObject | undefined;
      if (!operation) continue;
      const secured = (operation.security ?? document.security ?? []).length > 0;
      if (secured) for (const [status, response] of Object.entries(AUTHENTICATED)) operation.responses[status] ??= structuredClone(response);
      const inPath = [...(item.parameters ?? []), ...(operation.parameters ?? [])].some((p) => !('$ref' in p) && p.in === 'path');
      if (inPath) operation.responses['400'] ??= { description: 'A path parameter is malformed or too long' };
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response && Number(status) >= 400 && !('$ref' in response) && !response.content) response.content = content;
      }
    }
  }
  return document;
}
