import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsString, Length, ValidateNested } from 'class-validator';
import { CancellationReasonDto } from './cancellation-reason.dto.js';
import { REGIONS, type Region } from './orders.constants.js';

/** orders.cancelled version 2: the reason is a code consumers can act on, with an optional note. */
export class OrderCancelledDto {
  @ApiProperty({ example: 'ord-1001', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  orderId!: string;

  @ApiProperty({ enum: REGIONS, example: 'eu' })
  @IsIn(REGIONS)
  region!: Region;

  @ApiProperty({ type: CancellationReasonDto })
  @IsObject()
  @ValidateNested()
  @Type(() => CancellationReasonDto)
  reason!: CancellationReasonDto;
}
