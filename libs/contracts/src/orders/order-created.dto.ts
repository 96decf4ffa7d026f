import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsISO4217CurrencyCode,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { REGIONS, type Region } from './orders.constants.js';
import { OrderLineDto } from './order-line.dto.js';

export class OrderCreatedDto {
  @ApiProperty({ example: 'ord-1001' })
  @IsString()
  @Length(1, 64)
  orderId!: string;

  @ApiProperty({ example: 'cus-42' })
  @IsString()
  @Length(1, 64)
  customerId!: string;

  @ApiProperty({ example: 120.5, minimum: 0 })
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(0)
  @Max(1_000_000_000)
  amount!: number;

  @ApiProperty({ example: 'EUR' })
  @IsISO4217CurrencyCode()
  currency!: string;

  @ApiProperty({ enum: REGIONS, example: 'eu' })
  @IsIn(REGIONS)
  region!: Region;

  @ApiPropertyOptional({ type: [OrderLineDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  lines?: OrderLineDto[];
}
