import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import { REGIONS, type Region } from './orders.constants.js';

/** orders.cancelled version 1: the reason as free text. Published; kept as it is (version 2 replaced the reason). */
export class OrderCancelledV1Dto {
  @ApiProperty({ example: 'ord-1001', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  orderId!: string;

  @ApiProperty({ enum: REGIONS, example: 'eu' })
  @IsIn(REGIONS)
  region!: Region;

  @ApiProperty({ example: 'customer request', minLength: 1, maxLength: 500 })
  @IsString()
  @Length(1, 500)
  reason!: string;
}
