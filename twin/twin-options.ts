/** What a twin can be started with (`startTwin`). */
import type { DeviceIdentityMode, IngestMode, ProfileInput, RoutingTable } from '../contract/index.ts';
import type { CloudTemplate } from './cloud-template.ts';
import type { FunctionEntry } from './lambda-bundle.ts';

export interface TwinOptions {
  /** Host every server listens on. @default '127.0.0.1' */
  readonly host?: string;
  /** MQTT port; 0 picks a free one. @default 0 */
  readonly mqttPort?: number;
  /** DynamoDB port; 0 picks a free one. @default 0 */
  readonly dynamoDbPort?: number;
  /** Folder the twin keeps its state in (`state-dir.ts`); state survives restarts. In memory when omitted. */
  readonly stateDir?: string;
  /** @default DEFAULT_TABLE_NAME */
  readonly tableName?: string;
  /** Profiles to seed at start: a profiles file or the profiles themselves. */
  readonly profiles?: string | readonly ProfileInput[];
  /** Most concurrent invocations (execution environments); stream ingest runs one per shard at most. @default 4 */
  readonly concurrency?: number;
  /** Retries of a failed invocation, as Lambda's asynchronous invocation (direct ingest). @default DETECTOR_FUNCTION.retryAttempts */
  readonly retryAttempts?: number;
  /** Wait before retry 1, 2, ... of an invocation or a stream batch (Lambda waits minutes; the twin does not). @default [50, 100] */
  readonly retryDelaysMs?: readonly number[];
  /** The function's timeout. @default DETECTOR_FUNCTION.timeoutSeconds, in ms */
  readonly functionTimeoutMs?: number;
  /** The function's memory size. @default DETECTOR_FUNCTION.memorySizeMb */
  readonly memorySizeMb?: number;
  /** The function's `POWERTOOLS_LOG_LEVEL`. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Extra (or overriding) environment variables of the function. */
  readonly environment?: Readonly<Record<string, string>>;
  /** The function's log file; `false` for none. @default `<stateDir>/detector.log`, none in memory */
  readonly logFile?: string | false;
  /** Start the log file empty. @default false (append) */
  readonly truncateLogFile?: boolean;
  /** Where dead-lettered messages are appended (JSON Lines). @default `<stateDir>/dead-letter.jsonl`, memory only otherwise */
  readonly deadLetterFile?: string;
  /** Receives every line the function logs (e.g. to show them on the console). */
  readonly onLog?: (line: string) => void;
  /** The rule's SQL. @default ruleSql(deviceIdentity), the stack's */
  readonly ruleSql?: string;
  /** Who may report for a printer, as the stack's `-c deviceIdentity=...`. @default 'any' */
  readonly deviceIdentity?: DeviceIdentityMode;
  /** The thing registry (thing name -> attributes), for gateways in `thing` mode. @default none */
  readonly things?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Port of the twin's HTTP API, always on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly httpPort?: number;
  /** Where the twin says how to reach it while it runs (`discovery.ts`); `false` for nowhere. @default `<stateDir>/twin.json`, none in memory */
  readonly discoveryFile?: string | false;
  /** How the rule feeds the function: one asynchronous invocation per message, or a Kinesis stream read in batches. @default 'direct' */
  readonly ingest?: IngestMode;
  /** Stream ingest: the Kinesis port; 0 picks a free one. @default 0 */
  readonly kinesisPort?: number;
  /** Stream ingest: shards of the reading stream when it is created. @default 2 */
  readonly streamShards?: number;
  /** Stream ingest: most records per invocation. @default STREAM_INGEST.batchSize (500, the stack's) */
  readonly streamBatchSize?: number;
  /** Stream ingest: retries of a failed batch before it is dead-lettered. @default STREAM_INGEST.retryAttempts (10, the stack's) */
  readonly streamRetryAttempts?: number;
  /** The history table. @default DEFAULT_EVENTS_TABLE_NAME */
  readonly eventsTableName?: string;
  /** Days history is kept. @default DEFAULT_HISTORY_DAYS */
  readonly historyDays?: number;
  /** Seconds between sweeps of the clock; 0 runs it only through `sweep()`. @default 10 */
  readonly sweepSeconds?: number;
  /** The clock sweeps run for, and alarm actions are stamped with. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Alarm notifications are also POSTed here: one URL for all, or a routing
   * table, a URL per severity and `default` for the others, applied as the
   * stack's subscriptions apply it (`notifications.ts`).
   */
  readonly webhook?: string | RoutingTable<string>;
  /** Where notifications are appended (JSON Lines). @default `<stateDir>/notifications.jsonl`, memory only otherwise */
  readonly notificationsFile?: string;
  /**
   * The synthesized template whose IAM the twin enforces (roles, policies,
   * resource policies). @default the stack's own for the twin's mode
   * (`cloud-template.ts`); a changed one shows what a changed stack would do.
   */
  readonly template?: CloudTemplate;
  /** How long the HTTP API waits for the operator API function. @default HTTP_API.integrationTimeoutSeconds, in ms */
  readonly apiIntegrationTimeoutMs?: number;
  /** What runs as the operator API function (a test's stand-in). @default 'api', the stack's bundle */
  readonly apiEntry?: FunctionEntry;
}
