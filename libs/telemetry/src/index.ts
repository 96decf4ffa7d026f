export * from './logging/json-logger.js';
