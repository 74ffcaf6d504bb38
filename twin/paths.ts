/**
 * Where the twin's command-line entry points keep things by default (all
 * under the git-ignored `.local/`, relative to the working directory).
 */
import { join } from 'node:path';
import { statePaths } from './state-dir.ts';

/** `npm run local` state (DynamoDB data, log, dead letters) unless `--state-dir`. */
export const DEFAULT_STATE_DIR = join('.local', 'state');

/** The function's log file of a persistent twin started with the default state folder. */
export const DEFAULT_LOG_FILE = statePaths(DEFAULT_STATE_DIR).logFile;

/** The function's log file of an in-memory twin (`npm run local -- --in-memory`, `npm start`): named as in a state folder, under `.local/`. */
export const IN_MEMORY_LOG_FILE = statePaths('.local').logFile;

/** Dead letters of an in-memory twin. */
export const IN_MEMORY_DEAD_LETTER_FILE = statePaths('.local').deadLetterFile;

/** The discovery file of an in-memory twin started by `npm run local -- --in-memory`. */
export const IN_MEMORY_DISCOVERY_FILE = statePaths('.local').discoveryFile;

/** Where the CLIs look for a running twin (`discovery.ts`): `npm run local`'s, with the default state folder or in memory. */
export const DEFAULT_DISCOVERY_FILES: readonly string[] = [statePaths(DEFAULT_STATE_DIR).discoveryFile, IN_MEMORY_DISCOVERY_FILE];

/** Default ports of `npm run local` (MQTT, DynamoDB Local's usual port). */
export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_DYNAMODB_PORT = 8000;
/** Default port of `npm run local`'s HTTP API (`http-server.ts`). */
export const DEFAULT_HTTP_PORT = 8080;
/** Default Kinesis port of `npm run local -- --ingest stream` (kinesalite's usual port). */
export const DEFAULT_KINESIS_PORT = 4567;
