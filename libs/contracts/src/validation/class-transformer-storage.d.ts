// class-transformer (0.5, no "exports" map) keeps the `@Type()` registry in this module; the package root does not re-export it.
declare module 'class-transformer/cjs/storage.js' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage.js';
}
