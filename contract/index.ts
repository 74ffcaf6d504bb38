/**
 * The contract: everything the function, the stack, the twin, the emitter and
 * the CLIs must agree on. It imports nothing outside this folder; every other
 * folder may import it. `docs/design.md` explains the semantics behind it.
 */
export * from './detector-function.ts';
export * from './http-api.ts';
export * from './ingest.ts';
export * from './limits.ts';
export * from './aws-limits.ts';
export * from './stack-outputs.ts';
export * from './tables.ts';
export * from './topics.ts';
export type * from './wire.ts';
export * from './notification-routing.ts';
