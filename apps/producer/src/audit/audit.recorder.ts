import { AuditTrail, type AuditNote, type AuditResult } from '#jetstream';
import { Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { KeysReload } from '../auth/authenticator.js';
import type { ProblemDetails } from '../problem/problem-details.js';
import type { AuditSpec } from './audited.decorator.js';

const DETAIL_MAX = 500;

/** A success with the handler's answer and status, or the problem the caller is answered. */
export type AuditOutcome = { answer: unknown; status: number } | { problem: ProblemDetails };

/**
 * Writes an admin request's record to the audit trail before the answer goes
 * out. The action has happened (or was refused) by then, so a record that
 * cannot be written does not change the answer: it is logged whole as
 * `audit.unrecorded` (at error level) for the log pipeline to keep.
 */
@Injectable()
export class AuditRecorder {
  private readonly logger = new Logger('AuditTrail');

  constructor(private readonly trail: AuditTrail) {}

  async record(spec: AuditSpec, request: FastifyRequest, outcome: AuditOutcome): Promise<void> {
    const answer = 'answer' in outcome ? outcome.answer : undefined;
    let details: Record<string, unknown> | undefined;
    try {
      details = spec.details?.(request, answer);
    } catch {
      details = undefined; // the request's facts are malformed; the result says why it was refused
    }
    let note: AuditNote;
    try {
      note = {
        action: spec.action,
        principal: request.principal?.id ?? 'unknown',
        target: spec.target(request),
        requestId: String(request.id),
        traceId: request.serverSpan?.span.spanContext().traceId,
        result: this.result(outcome),
        ...(details && Object.keys(details).length > 0 ? { details } : {}),
      };
    } catch (err) {
      // Never throws: the answer waits for this, and must go out whatever happens here.
      this.logger.error({ event: 'audit.unrecorded', error: (err as Error).message, record: { action: spec.action, url: request.url } });
      return;
    }
    await this.append(note);
  }

  /**
   * Key rotation: API_KEYS_FILE was reloaded (which ids were added, removed,
   * rotated or rescoped) or refused. Whoever changed the file is not known
   * here (it is a mounted Secret): the principal is the file itself.
   */
  async recordKeysReload(reload: KeysReload, file: string): Promise<void> {
    const result: AuditResult = 'changes' in reload ? { outcome: 'succeeded', status: 200 } : { outcome: 'failed', status: 500, detail: reload.error.slice(0, DETAIL_MAX) };
    await this.append({ action: 'api-keys.reload', principal: 'system:api-keys-file', target: `api-keys-file:${file.slice(-256)}`, result, ...('changes' in reload ? { details: { ...reload.changes } } : {}) });
  }

  private async append(note: AuditNote): Promise<void> {
    try {
      await this.trail.append(note);
    } catch (err) {
      this.logger.error({ event: 'audit.unrecorded', error: (err as Error).message, record: note });
    }
  }

  private result(outcome: AuditOutcome): AuditResult {
    if ('answer' in outcome) return { outcome: 'succeeded', status: outcome.status };
    const { problem } = outcome;
    const detail = (problem.detail ?? problem.title).slice(0, DETAIL_MAX);
    return { outcome: problem.status < 500 ? 'refused' : 'failed', status: problem.status, detail };
  }
}
