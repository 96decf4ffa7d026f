import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { CANCELLATION_CODES, type CancellationCode } from './orders.constants.js';

export class CancellationReasonDto {
  @ApiProperty({ enum: CANCELLATION_CODES, example: 'customer-request' })
  @IsIn(CANCELLATION_CODES)
  code!: CancellationCode;

  @ApiPropertyOptional({ example: 'changed their mind', minLength: 1, maxLength: 500 })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  note?: string;
}
