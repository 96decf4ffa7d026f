import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import { REGIONS, type Region } from './orders.constants.js';

export class OrderCancelledDto {
  @ApiProperty({ example: 'ord-1001' })
  @IsString()
  @Length(1, 64)
  orderId!: string;

  @ApiProperty({ enum: REGIONS, example: 'eu' })
  @IsIn(REGIONS)
  region!: Region;

  @ApiProperty({ example: 'customer request' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}
