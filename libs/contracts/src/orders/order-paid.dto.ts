import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { OrderValueDto } from './order-value.dto.js';

export class OrderPaidDto extends OrderValueDto {
  @ApiProperty({ example: 'pay-9', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  paymentId!: string;
}
