import { ApiProperty } from '@nestjs/swagger';

export class PublishResultDto {
  @ApiProperty({ description: 'Message id (the Idempotency-Key, or a generated UUID); send it as Idempotency-Key to retry safely' })
  id!: string;

  @ApiProperty({ example: 'ORDERS' })
  stream!: string;

  @ApiProperty({ description: 'Stream sequence of the stored message', example: 42 })
  seq!: number;

  @ApiProperty({ description: 'True when a message with this id was already stored in the duplicate window; nothing new was stored' })
  duplicate!: boolean;

  @ApiProperty({ required: false, description: 'Set when deliverAt or delayMs was given: the pending schedule (GET/DELETE /v1/schedules/{scheduleId}); stream is then SCHEDULES' })
  scheduleId?: string;

  @ApiProperty({ required: false, description: 'When a scheduled message will be delivered (ISO 8601)', example: '2026-11-29T10:00:05.000Z' })
  deliverAt?: string;
}

export class BatchItemResultDto {
  @ApiProperty()
  index!: number;

  @ApiProperty({ description: 'HTTP-like status of this item: 202 stored, 422 idempotency key reused with another payload, 503 not confirmed, 507 stream full (not stored)' })
  status!: number;

  @ApiProperty()
  id!: string;

  @ApiProperty({ required: false })
  stream?: string;

  @ApiProperty({ required: false })
  seq?: number;

  @ApiProperty({ required: false })
  duplicate?: boolean;

  @ApiProperty({ required: false })
  scheduleId?: string;

  @ApiProperty({ required: false })
  deliverAt?: string;

  @ApiProperty({ required: false })
  error?: string;
}

export class BatchResultDto {
  @ApiProperty({ type: [BatchItemResultDto] })
  results!: BatchItemResultDto[];
}
