import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';

export class OrderLineDto {
  @ApiProperty({ example: 'SKU-123', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  sku!: string;

  @ApiProperty({ example: 2, type: 'integer', minimum: 1, maximum: 10000 })
  @IsInt()
  @Min(1)
  @Max(10000)
  quantity!: number;
}
