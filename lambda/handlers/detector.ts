/**
 * Lambda entry point of the detector (the topic rule's action). Configuration
 * is read and clients are created once per container, at module scope.
 */
import { createClients, createHandler } from '../app.ts';
import { readConfig } from '../config.ts';

const config = readConfig(process.env);

/** Invoked by the IoT topic rule with one reading payload per invocation. */
export const handler = createHandler({ config, ...createClients(config) });
