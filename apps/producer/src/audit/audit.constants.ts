/** Metadata key (Nest) and route-config key (Fastify) of an `@Audited` route's AuditSpec. */
export const AUDITED = 'nestjet:audited';
