import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { REQUIRED_SCOPE } from './auth.constants.js';
import type { FixedScope } from './auth.constants.js';

export type ScopeOf = FixedScope | ((request: FastifyRequest) => string);

/** The scope a route (or every route of a controller) needs; checked by ScopeGuard. */
export const RequireScope = (scope: ScopeOf) => SetMetadata(REQUIRED_SCOPE, scope);
