import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class BatchItemDto {
  @ApiPropertyOptional({ description: 'Per-message idempotency key, becomes Nats-Msg-Id' })
  idempotencyKey?: string;

  @ApiProperty({ description: "The topic's payload", type: 'object', additionalProperties: true })
  payload!: Record<string, unknown>;
}

export class BatchRequestDto {
  @ApiProperty({ type: [BatchItemDto] })
  messages!: BatchItemDto[];
}
