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

/** Default ports of `npm run local` (MQTT, DynamoDB Local's usual port). */
export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_DYNAMODB_PORT = 8000;
