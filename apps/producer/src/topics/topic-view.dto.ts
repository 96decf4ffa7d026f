import { ApiProperty } from '@nestjs/swagger';

export class StreamViewDto {
  @ApiProperty() name!: string;
  @ApiProperty() exists!: boolean;
  @ApiProperty() messages!: number;
  @ApiProperty() bytes!: number;
  @ApiProperty() firstSeq!: number;
  @ApiProperty() lastSeq!: number;
}

export class ConsumerViewDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) filterSubjects!: string[];
  @ApiProperty() exists!: boolean;
  @ApiProperty({ description: 'Messages not yet delivered' }) pending!: number;
  @ApiProperty({ description: 'Delivered, not yet acknowledged' }) ackPending!: number;
  @ApiProperty() redelivered!: number;
  @ApiProperty({ description: 'Pull requests waiting' }) waiting!: number;
}

export class TopicViewDto {
  @ApiProperty({ example: 'orders.created' }) name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ example: 'orders.created.>' }) subject!: string;
  @ApiProperty({ description: "Where the payload's JSON Schema is in /docs/openapi.json", example: '#/components/schemas/OrderCreatedDto' })
  payloadSchema!: string;
  @ApiProperty({ description: 'The current payload version (GET /v1/topics/{topic}/schema)', example: 1 }) version!: number;
  @ApiProperty({ type: [Number], description: 'Every published version, oldest first' }) versions!: number[];
  @ApiProperty({ enum: ['json', 'msgpack'], description: 'Wire encoding (the content-type header of each message)' }) codec!: string;
  @ApiProperty({ type: StreamViewDto }) stream!: StreamViewDto;
  @ApiProperty({ type: [ConsumerViewDto] }) consumers!: ConsumerViewDto[];
}
