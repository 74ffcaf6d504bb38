/**
 * Lambda entry point of stream ingest (the Kinesis event source mapping's
 * function). Configuration is read and clients are created once per
 * container, at module scope.
 */
import { createClients } from '../app.ts';
import { readConfig } from '../config.ts';
import { createStreamHandler } from '../stream-app.ts';

const config = readConfig(process.env);

/** Invoked with a batch of Kinesis records, each one message as the topic rule wrote it. */
export const handler = createStreamHandler({ config, ...createClients(config) });
