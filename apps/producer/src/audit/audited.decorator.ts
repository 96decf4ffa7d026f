import type { AuditAction } from '#jetstream';
import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { AUDITED } from './audit.constants.js';
import { AuditInterceptor } from './audit.interceptor.js';

/** How a route's admin action is recorded in the audit trail. */
export interface AuditSpec {
  action: AuditAction;
  /** What is acted on, from the request as sent (so a refused request names its target too). */
  target: (request: FastifyRequest) => string;
  /** Further facts: from the request, and from the handler's answer when it succeeded. */
  details?: (request: FastifyRequest, answer?: unknown) => Record<string, unknown> | undefined;
}

/**
 * Records every attempt of this route: AuditInterceptor records a success,
 * ProblemDetailsFilter any refusal or failure, wherever it was raised (a
 * guard's missing scope or media type, a pipe, the handler). The spec is
 * Nest metadata for the interceptor and Fastify route config for the filter,
 * which sees only the request. The interceptor is the route's own, not global:
 * a global one put every publish through Nest's RxJS interceptor chain.
 */
export const Audited = (spec: AuditSpec) => applyDecorators(SetMetadata(AUDITED, spec), RouteConfig({ [AUDITED]: spec }), UseInterceptors(AuditInterceptor));

/** The audit spec of the route a request reached, if it is audited. */
export function auditSpecOf(request: FastifyRequest): AuditSpec | undefined {
  return (request.routeOptions?.config as unknown as Record<string, unknown> | undefined)?.[AUDITED] as AuditSpec | undefined;
}

const TEXT_MAX = 256;

/** A path parameter as sent, without assuming it is valid (bounded: a record never grows with the request). */
export const param = (request: FastifyRequest, name: string): string => String((request.params as Record<string, unknown> | undefined)?.[name] ?? '').slice(0, TEXT_MAX);

/** A top-level body field as sent: a short string, a number or a boolean as it is; anything else only by its type. */
export function field(request: FastifyRequest, name: string): unknown {
  const body = request.body;
  const value = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
  if (value === undefined || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
  if (typeof value === 'string') return value.slice(0, TEXT_MAX);
  return `(${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`;
}

/** `<base>?<query>` with the query as sent: a bulk action's target is its filter. */
export function withQuery(base: string, request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q === -1 ? base : `${base}${request.url.slice(q, q + 512)}`;
}
