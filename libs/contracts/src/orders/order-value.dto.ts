import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNumber, IsString, Length, Max, Min } from 'class-validator';
import { CURRENCIES, REGIONS, type Region } from './orders.constants.js';

/** Fields every order event with a value carries; they drive the `<region>.<tier>` routing. */
export class OrderValueDto {
  @ApiProperty({ example: 'ord-1001', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  orderId!: string;

  @ApiProperty({ example: 120.5, minimum: 0, maximum: 1_000_000_000, multipleOf: 0.01, description: 'At most 2 decimal places' })
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(0)
  @Max(1_000_000_000)
  amount!: number;

  @ApiProperty({ example: 'EUR', enum: CURRENCIES, description: 'ISO 4217 code, upper case' })
  @IsIn(CURRENCIES)
  currency!: string;

  @ApiProperty({ enum: REGIONS, example: 'eu' })
  @IsIn(REGIONS)
  region!: Region;
}
