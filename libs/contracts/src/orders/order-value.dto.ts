import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsISO4217CurrencyCode, IsNumber, IsString, Length, Max, Min } from 'class-validator';
import { REGIONS, type Region } from './orders.constants.js';

/** Fields every order event with a value carries; they drive the `<region>.<tier>` routing. */
export class OrderValueDto {
  @ApiProperty({ example: 'ord-1001' })
  @IsString()
  @Length(1, 64)
  orderId!: string;

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
}
