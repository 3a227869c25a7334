export * from './errors.js';
export * from './canonical.js';
export * from './signing.js';
export * from './key-file.js';
export * from './eu-manifest.js';
export * from './wire.js';
export * from './events.js';
export * from './api.js';
