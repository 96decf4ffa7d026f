import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiResponse } from '@nestjs/swagger';

/**
 * Documents the problem statuses an operation (or every operation of a
 * controller) can answer, each with why; setUpOpenApi gives every 4xx/5xx
 * response its application/problem+json body, and adds the 401, 403 and 429
 * that any authenticated route can answer.
 */
export function ApiProblems(statuses: Record<number, string>): MethodDecorator & ClassDecorator {
  return applyDecorators(...Object.entries(statuses).map(([status, description]) => ApiResponse({ status: Number(status), description })));
}

/**
 * An admin POST/DELETE that takes no body: the request must still say
 * `Content-Type: application/json` (no CORS "simple request" can reach it), so
 * the document asks for a JSON body, `{}`; an empty body is taken as `{}`.
 * The handler refuses anything else with requireEmptyBody.
 */
export function ApiEmptyJsonBody(): MethodDecorator {
  return applyDecorators(
    ApiBody({
      required: true,
      description: '`{}` (or an empty body), sent as application/json: admin POST and DELETE need that content type',
      schema: { type: 'object', additionalProperties: false, example: {} },
    }),
    ApiProblems({ 415: 'Content-Type is not application/json' }),
  ) as MethodDecorator;
}
