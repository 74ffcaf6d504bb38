/**
 * Lambda entry point of the sweep (the clock), run every minute by
 * EventBridge Scheduler. Configuration and clients are created once per
 * container.
 */
import { createClients } from '../app.ts';
import { readConfig } from '../config.ts';
import { createSweepHandler } from '../sweep-app.ts';

const config = readConfig(process.env);

export const handler = createSweepHandler({ config, ...createClients(config) });
