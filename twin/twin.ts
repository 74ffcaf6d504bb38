/**
 * The local twin: the product's pipeline on one machine, made of real parts
 * wired as in the cloud (`docs/local.md`). This file only composes them:
 *
 * - an MQTT broker (aedes, `broker.ts`) in place of AWS IoT Core;
 * - a DynamoDB API (dynalite, `dynamodb.ts`), tables from the stack's own
 *   definitions, kept in the state folder (`state-dir.ts`) unless in memory;
 * - the topic rule and its action (`rule.ts`, `rule-action.ts`);
 * - direct ingest: Lambda's asynchronous invocation, per-printer order,
 *   retries, dead letters (`async-invoker.ts`, `dead-letters.ts`);
 * - stream ingest: a Kinesis API (kinesalite, `kinesis.ts`) with the reading
 *   stream the rule puts messages on, and Lambda's event source mapping, a
 *   poller per shard (`stream-ingest.ts`, `stream-poller.ts`);
 * - the detector function (or stream ingest's), bundled exactly as deployed
 *   and run by a small Lambda service (`lambda-runtime.ts`) in worker
 *   threads, with the environment the stack gives it (`local-function.ts`);
 * - the IoT Data Plane `Publish` API, served locally onto the broker;
 * - the twin's HTTP API (`http-server.ts`): the operator API function behind
 *   API Gateway's HTTP API (`operator-api.ts`), the dashboard, and the
 *   discovery file that lets the CLIs find it (`discovery.ts`);
 * - the clock: the sweep function, run on an interval (`clock.ts`), and the
 *   notifications SNS would carry (`notifications.ts`);
 * - IAM as the stack deploys it (`cloud-iam.ts`): each function signs with its role.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Aedes } from 'aedes';
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import {
  type AlarmNotification,
  DEFAULT_EVENTS_TABLE_NAME,
  DEFAULT_HISTORY_DAYS,
  DEFAULT_TABLE_NAME,
  LOCAL_STREAM_NAME,
  type ProfileInput,
  RULE_SQL_VERSION,
  ruleSql,
} from '../contract/index.ts';
import { seedProfiles } from '../lambda/adapters/profile-writer.ts';
import type { FleetOperations } from '../lambda/api/operations.ts';
import type { SweepResult } from '../lambda/sweep.ts';
import { LOCAL_AWS } from './dynamodb.ts';
import { LocalNotifications } from './notifications.ts';
import { Clock, scheduledEvent } from './clock.ts';
import { startOperatorApi } from './operator-api.ts';
import type { TwinOptions } from './twin-options.ts';

export type { TwinOptions } from './twin-options.ts';
import { AsyncInvoker, type InvokerStats } from './async-invoker.ts';
import { Closers } from './closers.ts';
import { type DeadLetterRecord, DeadLetters, type RuleErrorMessage } from './dead-letters.ts';
import { writeDiscoveryFile } from './discovery.ts';
import { startHttpServer, twinHealth } from './http-server.ts';
import type { InvokerEvents } from './invoker-events.ts';
import { LineFile } from './line-file.ts';
import { localFunction, startFunction } from './local-function.ts';
import { loadProfilesFile } from './profiles-file.ts';
import { enableRuleAction } from './rule-action.ts';
import { parseRuleSql } from './rule.ts';
import { startLocalServices } from './services.ts';
import { errorAction, guardRuleTarget, guardSchedule, kinesisClients, startCloudIam, startDynamoDbFront, sweepInput } from './cloud-iam.ts';
import type { TwinIam } from './iam.ts';
import { lockStateDir, statePaths } from './state-dir.ts';
import { type StreamIngest, startStreamIngest } from './stream-ingest.ts';
import { type IngestMode, STREAM_INGEST } from '../contract/index.ts';

export type { HandledMessage, InvocationRecord } from './invoker-events.ts';
export type { DeadLetterRecord } from './dead-letters.ts';
export { TwinStartError, TwinWaitError } from './errors.ts';

/** The topic ARN the function is given on the twin: its notifications go to the twin's SNS stand-in. */
const LOCAL_NOTIFICATIONS_TOPIC = `arn:aws:sns:${LOCAL_AWS.region}:000000000000:printer-anomaly-alarms`;

/** Counters of what the twin did since it started (`refused` of the invoker is `ruleErrors` here). */
export interface TwinStats extends Omit<InvokerStats, 'refused'> {
  /** Messages the rule could not hand to the function (payload not JSON). */
  readonly ruleErrors: number;
  /** Execution environments created (cold starts). */
  readonly coldStarts: number;
}

export interface TwinEvents extends InvokerEvents {
  /** A line the function (or the twin's Lambda service or rule) logged. */
  log: [string];
}

/** A running twin. */
export interface Twin {
  /** `mqtt://127.0.0.1:PORT`: the emitter's `--endpoint`. */
  readonly mqttUrl: string;
  readonly mqttPort: number;
  /** `http://127.0.0.1:PORT`: `aws dynamodb --endpoint-url`, `npm run ranked -- --endpoint-url`. */
  readonly dynamoDbEndpoint: string;
  readonly dynamoDbPort: number;
  /** The local IoT Data Plane endpoint the function publishes through. */
  readonly iotDataEndpoint: string;
  readonly ingest: IngestMode;
  /** Stream ingest: `http://127.0.0.1:PORT`, for `aws kinesis --endpoint-url`. */
  readonly kinesisEndpoint: string | undefined;
  readonly kinesisPort: number | undefined;
  /** Stream ingest: the reading stream. */
  readonly streamName: string | undefined;
  /** `http://127.0.0.1:PORT`: the twin's own HTTP API (`GET /api/health`). */
  readonly httpUrl: string;
  readonly httpPort: number;
  /** The discovery file the twin wrote, removed at close. */
  readonly discoveryFile: string | undefined;
  readonly tableName: string;
  readonly region: string;
  readonly functionName: string;
  readonly stateDir: string | undefined;
  readonly logFile: string | undefined;
  readonly deadLetterFile: string | undefined;
  /** The embedded broker, for in-process observation. */
  readonly broker: Aedes;
  /** IAM as the twin enforces it: the template's roles and what they were allowed so far. */
  readonly iam: TwinIam;
  /** A DynamoDB client for the twin's table (owned by the twin). */
  readonly dynamoDb: DynamoDBClient;
  readonly eventsTableName: string;
  /** The operator API's operations on the twin's tables (what its HTTP API serves), with `By` given by the caller. */
  readonly fleet: FleetOperations;
  /** Runs the sweep function once, at `at` (the twin's clock when omitted). */
  sweep(at?: Date): Promise<SweepResult>;
  /** Notifications so far (also in the notifications file). */
  notifications(): readonly AlarmNotification[];
  readonly events: EventEmitter<TwinEvents>;
  stats(): TwinStats;
  deadLetters(): readonly DeadLetterRecord[];
  /** The rule's error action messages (in the same dead-letter file, as in the same queue in AWS), oldest first. */
  ruleErrors(): readonly RuleErrorMessage[];
  /** Seeds profiles (never resets counters). */
  seed(profiles: string | readonly ProfileInput[]): Promise<number>;
  /** Resolves when every message received so far is handled and its log lines are written. */
  waitForIdle(options?: { timeoutMs?: number }): Promise<void>;
  /** Resolves once `count` messages in total are handled (processed, dead-lettered or refused by the rule). */
  waitUntilProcessed(count: number, options?: { timeoutMs?: number }): Promise<void>;
  /** Resolves when the log file holds every line logged so far. */
  flushLogs(): Promise<void>;
  /** Stops taking messages, finishes (or dead-letters) what it holds, and stops every server. */
  close(options?: { drainTimeoutMs?: number }): Promise<void>;
}

/** How long `close` lets held messages finish before it dead-letters them. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Starts a twin. Close it with `close()`. */
export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const stateDir = options.stateDir === undefined ? undefined : resolve(options.stateDir);
  const paths = stateDir === undefined ? undefined : statePaths(stateDir);
  const deviceIdentity = options.deviceIdentity ?? 'any';
  const rule = parseRuleSql(options.ruleSql ?? ruleSql(deviceIdentity), RULE_SQL_VERSION);
  const ingestMode = options.ingest ?? 'direct';
  const fn = localFunction({ ...options, ingest: ingestMode });
  const logPath = options.logFile === false ? undefined : (options.logFile ?? paths?.logFile);
  const deadLetterFile = options.deadLetterFile ?? paths?.deadLetterFile;
  const eventsTableName = options.eventsTableName ?? DEFAULT_EVENTS_TABLE_NAME;
  const historyDays = options.historyDays ?? DEFAULT_HISTORY_DAYS;
  const now = options.now ?? (() => new Date());
  const events = new EventEmitter<TwinEvents>();
  let logFile: LineFile | undefined;
  const log = (line: string) => {
    logFile?.write(line);
    options.onLog?.(line);
    if (events.listenerCount('log') > 0) events.emit('log', line);
  };

  const closers = new Closers();
  try {
    if (stateDir) closers.add(lockStateDir(stateDir));
    logFile = logPath === undefined ? undefined : new LineFile(resolve(logPath), { truncate: options.truncateLogFile ?? false });
    closers.add(() => logFile?.close());
    const notificationsFile = options.notificationsFile ?? paths?.notificationsFile;
    const notifications = new LocalNotifications({
      ...(notificationsFile ? { file: resolve(notificationsFile) } : {}),
      ...(options.webhook ? { webhook: options.webhook } : {}),
      log,
    });
    closers.add(() => notifications.close());
    // IAM as the stack deploys it for this mode: each function's role, and the services' own calls (`cloud-iam.ts`).
    const cloud = await startCloudIam({
      ingest: ingestMode,
      deviceIdentity,
      region: fn.region,
      names: { tableName, eventsTableName, notificationsTopicArn: LOCAL_NOTIFICATIONS_TOPIC, functionName: fn.functionName },
      log,
      template: options.template,
    });
    const services = await startLocalServices({
      host: options.host ?? '127.0.0.1',
      mqttPort: options.mqttPort ?? 0,
      // The embedded server listens on a free port; the endpoint everyone is given is the IAM front's, below.
      dynamoDbPort: 0,
      dynamoDbDir: paths?.dynamoDbDir,
      tableName,
      eventsTableName,
      onNotify: notifications.onNotify,
      ...(options.things ? { things: options.things } : {}),
      authorize: cloud.authorizeCall,
      encryptionKeyOf: (topicArn) => cloud.iam.encryptionKeyOf(topicArn),
      region: fn.region,
      account: cloud.iam.resolver.account,
    });
    closers.add(() => services.close());
    const { dynamoDb, dynamoDbClient, broker, iotData } = services;
    // The functions reach DynamoDB through IAM, as in the cloud; the operator's own clients do not.
    const dynamoDbFront = await startDynamoDbFront(cloud, dynamoDb.endpoint, options, closers, log);
    const http = await startHttpServer(options.httpPort ?? 0);
    closers.add(() => http.close());

    const functionSettings = {
      tableName,
      iotDataEndpoint: iotData.endpoint,
      dynamoDbEndpoint: dynamoDbFront.endpoint,
      deviceIdentity,
      // The same local server answers the thing registry's DescribeThing.
      iotEndpoint: iotData.endpoint,
      eventsTableName,
      historyDays,
      notificationsTopicArn: LOCAL_NOTIFICATIONS_TOPIC,
      // The same local server answers SNS's Publish.
      snsEndpoint: iotData.endpoint,
      logLevel: options.logLevel,
      extra: options.environment,
    };
    // Each function signs with its role; Lambda writes its logs with it (refused: they never reach the log).
    const asRole = (role: 'detector' | 'sweep') => ({ ...functionSettings, accessKeyId: cloud.roles[role].accessKeyId });
    const logOf = (role: 'detector' | 'sweep') => (cloud.decisions.logs[role] ? () => {} : log);
    const entry = ingestMode === 'stream' ? 'stream' : 'detector';
    const runtime = await startFunction(fn, asRole('detector'), { concurrency: options.concurrency, onLog: logOf('detector'), entry });
    closers.add(() => runtime.close());
    const sweepFn = { ...fn, functionName: `${fn.functionName}-sweep` };
    const sweepRuntime = await startFunction(sweepFn, asRole('sweep'), { concurrency: 1, onLog: logOf('sweep'), entry: 'sweep' });
    closers.add(() => sweepRuntime.close());
    const input = sweepInput(cloud); // the template's, filled in as Scheduler fills it
    const clock = new Clock({
      sweep: guardSchedule(cloud, (at) =>
        sweepRuntime.invoke(`sweep-${at.getTime()}-${Math.random().toString(36).slice(2)}`, scheduledEvent(input, at)),
      ),
      now,
      intervalSeconds: options.sweepSeconds ?? 10,
      log,
    });
    closers.add(() => clock.stop());

    // The operator API: API Gateway's HTTP API in front of its function, as deployed (`operator-api.ts`).
    const api = await startOperatorApi({
      http,
      cloud,
      detector: fn,
      settings: functionSettings,
      now,
      log,
      closers,
      integrationTimeoutMs: options.apiIntegrationTimeoutMs,
      entry: options.apiEntry,
    });

    if (options.profiles !== undefined) {
      const profiles = typeof options.profiles === 'string' ? await loadProfilesFile(options.profiles) : options.profiles;
      await seedProfiles(dynamoDbClient, tableName, profiles);
    }

    const deadLetters = new DeadLetters({
      functionArn: fn.functionArn,
      file: deadLetterFile,
      log,
      refused: cloud.decisions.detectorDeadLetters?.message,
      ruleErrorRefused: cloud.decisions.ruleErrorAction?.message,
    });
    const invoke = (requestId: string, event: unknown) => runtime.invoke(requestId, event);
    let stream: StreamIngest | undefined;
    if (ingestMode === 'stream') {
      stream = await startStreamIngest({
        host: options.host ?? '127.0.0.1',
        port: options.kinesisPort ?? 0,
        streamName: LOCAL_STREAM_NAME,
        shards: options.streamShards ?? 2,
        stateDir: paths && { kinesisDir: paths.kinesisDir, checkpointsFile: paths.streamCheckpointsFile },
        region: fn.region,
        invokeIdentityArn: cloud.roles.detector.arn,
        invoke,
        batchSize: options.streamBatchSize ?? STREAM_INGEST.batchSize,
        retryAttempts: options.streamRetryAttempts ?? STREAM_INGEST.retryAttempts,
        retryDelaysMs: options.retryDelaysMs ?? [50, 100],
        deadLetters,
        events,
        log,
        // The rule's Kinesis action puts with its role; the event source mapping reads with the consumer's.
        clients: (endpoint, port) => kinesisClients(cloud, endpoint, port, closers, log),
      });
      const started = stream;
      closers.add(() => started.kinesis.close());
      // A start that fails later must not leave the pollers polling.
      closers.add(() => started.stopPolling());
    }
    const invoker =
      stream ??
      new AsyncInvoker({
        invoke,
        concurrency: runtime.concurrency,
        retryAttempts: fn.retryAttempts,
        retryDelaysMs: options.retryDelaysMs,
        deadLetters,
        events,
      });
    const [action, resource] = stream ? ['KinesisAction', stream.kinesis.streamName] : ['LambdaAction', fn.functionArn];
    const onError = errorAction(cloud, deadLetters, action, resource);
    const ruleAction = await enableRuleAction(broker.aedes, rule, guardRuleTarget(cloud, invoker), log, onError);
    const stats = (): TwinStats => {
      const { refused, ...counters } = invoker.stats();
      return { ...counters, ruleErrors: refused, coldStarts: runtime.stats().coldStarts };
    };
    api.serve(() => twinHealth(stats()));
    const discoveryFile =
      options.discoveryFile === false ? undefined : options.discoveryFile ? resolve(options.discoveryFile) : paths?.discoveryFile;
    if (discoveryFile !== undefined) {
      const record = {
        pid: process.pid,
        mqtt: broker.url,
        dynamodb: dynamoDbFront.endpoint,
        http: http.url,
        dashboard: `${http.url}/`,
        table: tableName,
        eventsTable: eventsTableName,
        ...(stream ? { kinesis: stream.endpoint } : {}),
        ...(logFile !== undefined ? { logFile: logFile.path } : {}),
      };
      closers.add(writeDiscoveryFile(discoveryFile, record));
    }

    const flushLogs = async (): Promise<void> => logFile?.flush();
    let closing = false;
    return {
      mqttUrl: broker.url,
      mqttPort: broker.port,
      dynamoDbEndpoint: dynamoDbFront.endpoint,
      dynamoDbPort: dynamoDbFront.port,
      iotDataEndpoint: iotData.endpoint,
      ingest: ingestMode,
      kinesisEndpoint: stream?.endpoint,
      kinesisPort: stream?.port,
      streamName: stream?.kinesis.streamName,
      httpUrl: http.url,
      httpPort: http.port,
      discoveryFile,
      tableName,
      region: fn.region,
      functionName: fn.functionName,
      stateDir,
      logFile: logFile?.path,
      deadLetterFile,
      broker: broker.aedes,
      iam: cloud.iam,
      dynamoDb: dynamoDbClient,
      eventsTableName,
      fleet: api.fleet,
      sweep: async (at) => {
        const outcome = (await clock.sweep(at ?? now())) as { ok: boolean; value?: unknown; error?: { errorMessage?: string } };
        if (!outcome.ok) throw new Error(`sweep failed: ${outcome.error?.errorMessage ?? 'unknown error'}`);
        return outcome.value as SweepResult;
      },
      notifications: () => notifications.list(),
      events,
      stats,
      deadLetters: () => deadLetters.list(),
      ruleErrors: () => deadLetters.ruleErrors(),
      seed: async (profiles) => {
        const list = typeof profiles === 'string' ? await loadProfilesFile(profiles) : profiles;
        return (await seedProfiles(dynamoDbClient, tableName, list)).written;
      },
      waitForIdle: async ({ timeoutMs } = {}) => {
        await invoker.waitForIdle(timeoutMs);
        await flushLogs();
      },
      waitUntilProcessed: async (count, { timeoutMs } = {}) => {
        await invoker.waitUntilHandled(count, timeoutMs);
        await flushLogs();
      },
      flushLogs,
      close: async ({ drainTimeoutMs = DRAIN_TIMEOUT_MS } = {}) => {
        if (closing) return;
        closing = true;
        // The rule is disabled first, so nothing new comes in while the rest drains.
        await invoker.close({ drainTimeoutMs, stopIntake: () => ruleAction.disable(), stopFunction: () => runtime.close() });
        await clock.stop();
        await flushLogs().catch(() => undefined);
        await closers.closeAll();
      },
    };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}
