import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { nestjetMetrics } from './nestjet.metrics.js';

/** Prometheus text exposition at /metrics. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return nestjetMetrics.registry.metrics();
  }
}
