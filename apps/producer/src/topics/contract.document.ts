import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';

/** The OpenAPI document once built at start-up: the schema route serves its payload schemas. */
@Injectable()
export class ContractDocument {
  private built?: OpenAPIObject;

  use(document: OpenAPIObject): void {
    this.built = document;
  }

  get document(): OpenAPIObject {
    if (!this.built) throw new Error('the OpenAPI document is built at start-up, before the server listens');
    return this.built;
  }
}
