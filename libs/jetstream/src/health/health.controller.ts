import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { JetStreamAdmin } from '../admin/jetstream.admin.js';
import { JETSTREAM_MODULE_OPTIONS } from '../jetstream.constants.js';
import type { JetStreamModuleOptions } from '../jetstream-module.options.js';

/** Kubernetes probes: `/healthz` (process alive) and `/readyz` (NATS connected, topology present). */
@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly admin: JetStreamAdmin,
    @Inject(JETSTREAM_MODULE_OPTIONS) private readonly options: JetStreamModuleOptions,
  ) {}

  @Get('healthz')
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @HealthCheck()
  readiness() {
    return this.health.check([
      async () => {
        const session = this.indicators.check('jetstream');
        const report = await this.admin.readiness(this.options.requiredConsumers ?? []).catch((err: unknown) => ({
          connected: false,
          missingStreams: [],
          missingConsumers: [],
          error: String(err),
        }));
        const ok = report.connected && report.missingStreams.length === 0 && report.missingConsumers.length === 0;
        return ok ? session.up() : session.down({ ...report });
      },
    ]);
  }
}
