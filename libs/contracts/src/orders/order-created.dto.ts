import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { OrderLineDto } from './order-line.dto.js';
import { OrderValueDto } from './order-value.dto.js';

export class OrderCreatedDto extends OrderValueDto {
  @ApiProperty({ example: 'cus-42', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  customerId!: string;

  @ApiPropertyOptional({ type: [OrderLineDto], minItems: 1, maxItems: 500, description: 'What was ordered; when given, at least one line' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  // Nested validation alone walks into inner arrays and passed `[[line]]`.
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  lines?: OrderLineDto[];
}
