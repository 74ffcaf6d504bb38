/**
 * The local twin (SPEC section 5): the product's pipeline on one machine, made
 * of real parts wired as in the cloud.
 *
 * - an MQTT broker (aedes) on 127.0.0.1, in place of AWS IoT Core;
 * - a DynamoDB API (dynalite) with the profiles table created from the
 *   stack's own definition, persisted in a state folder unless in memory;
 * - the topic rule: the shared {@link RULE_SQL}, evaluated by `rule.ts`;
 * - the detector function: the handler bundled exactly as deployed and run by
 *   a small Lambda service (`lambda-runtime.ts`) in worker threads, with the
 *   function's environment pointing its unchanged AWS clients at the twin;
 * - the IoT Data Plane `Publish` API, served locally onto the broker.
 *
 * Delivery model: each message matched by the rule is one asynchronous
 * invocation with its own request id. Messages of one printer are handled in
 * arrival order (one at a time per printer, printers concurrently up to
 * `concurrency`). A failed invocation is retried with the same request id, as
 * Lambda retries asynchronous invocations, and after the last retry the
 * message is written to the on-failure file: nothing is silently dropped.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Aedes, AedesPublishPacket } from 'aedes';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProfileInput } from '../contract/index.ts';
import { seedProfiles } from '../lambda/adapters/profile-writer.ts';
import { loadProfilesFile } from './profiles-file.ts';
import type { DetectorResult } from '../lambda/app.ts';
import { OUTCOMES, type Outcome } from '../lambda/processor.ts';
import { DEFAULT_TABLE_NAME, detectorEnvironment, RULE_SQL, RULE_SQL_VERSION, SERVICE_NAME } from '../contract/index.ts';
import { startBroker, type EmbeddedBroker } from './broker.ts';
import { ensureProfilesTable, LOCAL_AWS, localDynamoDbClient, type EmbeddedDynamoDb } from './dynamodb.ts';
import { startDynamoDbThread } from './dynamodb-thread.ts';
import { startIotDataServer, type IotDataServer } from './iot-data-server.ts';
import { buildFunctionBundle } from './lambda-bundle.ts';
import { FunctionRuntime, type SerializedError } from './lambda-runtime.ts';
import { LineFile } from './line-file.ts';
import { evaluateRule, parseRuleSql } from './rule.ts';

/** The twin could not start; the message is one line for the user. */
export class TwinStartError extends Error {
  override readonly name = 'TwinStartError';
}

/** A wait on the twin timed out or the twin was closed. */
export class TwinWaitError extends Error {
  override readonly name = 'TwinWaitError';
}

export interface TwinOptions {
  /** Host every server listens on. @default '127.0.0.1' */
  readonly host?: string;
  /** MQTT port; 0 picks a free one. @default 0 */
  readonly mqttPort?: number;
  /** DynamoDB port; 0 picks a free one. @default 0 */
  readonly dynamoDbPort?: number;
  /**
   * Folder the twin keeps its state in (DynamoDB data, `detector.log`,
   * `dead-letter.jsonl`); state survives restarts. In memory when omitted.
   */
  readonly stateDir?: string;
  /** @default DEFAULT_TABLE_NAME */
  readonly tableName?: string;
  /** Profiles to seed at start: a profiles file or the profiles themselves. */
  readonly profiles?: string | readonly ProfileInput[];
  /** Most concurrent invocations (execution environments). @default 4 */
  readonly concurrency?: number;
  /** Retries of a failed invocation, as Lambda's asynchronous invocation. @default 2 */
  readonly retryAttempts?: number;
  /** Wait before retry 1, 2, ... (Lambda waits minutes; the twin does not). @default [50, 100] */
  readonly retryDelaysMs?: readonly number[];
  /** The function's timeout (the stack's default). @default 10_000 */
  readonly functionTimeoutMs?: number;
  /** The function's memory size. @default 256 */
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
  /** The rule's SQL. @default RULE_SQL */
  readonly ruleSql?: string;
}

/** Counters of what the twin did since it started. */
export interface TwinStats {
  /** Messages the rule matched. */
  readonly received: number;
  /** Messages whose handling is over: processed, dead-lettered or refused by the rule. */
  readonly done: number;
  /** Messages the function processed (the invocation succeeded). */
  readonly processed: number;
  /** Processed messages per handler outcome. */
  readonly outcomes: Readonly<Record<Outcome, number>>;
  /** Anomaly events the function reported as published. */
  readonly eventsPublished: number;
  /** Invocations, retries included. */
  readonly invocations: number;
  /** Invocations that failed (function error, crash, timeout). */
  readonly functionErrors: number;
  readonly retries: number;
  readonly deadLettered: number;
  /** Messages the rule could not hand to the function (payload not JSON). */
  readonly ruleErrors: number;
  /** Execution environments created (cold starts). */
  readonly coldStarts: number;
  /** Most invocations seen running at the same time. */
  readonly maxConcurrentInvocations: number;
  /** Invocations running now. */
  readonly inFlight: number;
}

/** One invocation attempt. */
export interface InvocationRecord {
  readonly requestId: string;
  readonly printerId: string | undefined;
  readonly attempt: number;
  readonly ok: boolean;
  readonly result?: DetectorResult;
  readonly error?: SerializedError;
}

/** A message whose handling is over. */
export interface HandledMessage {
  readonly requestId: string;
  readonly topic: string;
  /** The PrinterId the twin read from the payload (its ordering lane). */
  readonly printerId: string | undefined;
  readonly event: unknown;
  readonly attempts: number;
  readonly status: 'processed' | 'dead-lettered' | 'rule-error';
  readonly result?: DetectorResult;
}

/** A dead-lettered message, in the shape of Lambda's on-failure destination record. */
export interface DeadLetterRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetriesExhausted' | 'TwinClosed';
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: { readonly statusCode: 200; readonly executedVersion: '$LATEST'; readonly functionError: 'Unhandled' };
  readonly responsePayload: { readonly errorType: string; readonly errorMessage: string; readonly trace: readonly string[] };
}

export interface TwinEvents {
  /** An invocation attempt starts. */
  invoking: [{ readonly requestId: string; readonly printerId: string | undefined; readonly attempt: number }];
  /** An invocation attempt ended. */
  invocation: [InvocationRecord];
  handled: [HandledMessage];
  'dead-letter': [DeadLetterRecord];
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
  readonly tableName: string;
  readonly region: string;
  readonly functionName: string;
  readonly stateDir: string | undefined;
  readonly logFile: string | undefined;
  readonly deadLetterFile: string | undefined;
  /** The embedded broker, for in-process observation. */
  readonly broker: Aedes;
  /** A DynamoDB client for the twin's table (owned by the twin). */
  readonly dynamoDb: DynamoDBClient;
  readonly events: EventEmitter<TwinEvents>;
  stats(): TwinStats;
  deadLetters(): readonly DeadLetterRecord[];
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

interface Message {
  readonly requestId: string;
  readonly topic: string;
  readonly event: unknown;
  readonly printerId: string | undefined;
  readonly lane: Lane;
  attempts: number;
}

interface Lane {
  readonly key: string | undefined;
  readonly queue: Message[];
  /** Queued for dispatch, running, or waiting for a retry. */
  active: boolean;
}

interface Waiter {
  readonly ready: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

function portError(error: unknown, what: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new TwinStartError(`${what} port ${port} is already in use`);
  if (code === 'EACCES') return new TwinStartError(`${what} port ${port} needs privileges`);
  return error as Error;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the state folder for this twin (`twin.lock` holds the owner's pid).
 * The embedded DynamoDB cannot report a folder held by another process
 * cleanly, so the twin refuses it before starting anything. A lock left by a
 * process that is gone is taken over. Returns the release function.
 */
function lockStateDir(stateDir: string): () => void {
  const lockFile = join(stateDir, 'twin.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isSafeInteger(owner) && owner > 0 && isRunning(owner)) break;
      rmSync(lockFile, { force: true }); // stale: its twin is gone
    }
  }
  throw new TwinStartError(`state folder ${stateDir} is in use by another twin`);
}

function peekPrinterId(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const id = (event as Record<string, unknown>)['PrinterId'];
  return typeof id === 'string' ? id : undefined;
}

function isDetectorResult(value: unknown): value is DetectorResult {
  return typeof value === 'object' && value !== null && typeof (value as DetectorResult).outcome === 'string';
}

/** Starts a twin. Close it with `close()`. */
export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const host = options.host ?? '127.0.0.1';
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const stateDir = options.stateDir === undefined ? undefined : resolve(options.stateDir);
  const rule = parseRuleSql(options.ruleSql ?? RULE_SQL, RULE_SQL_VERSION);
  const region = LOCAL_AWS.region;
  const functionName = `${SERVICE_NAME}-local`;
  const functionArn = `arn:aws:lambda:${region}:000000000000:function:${functionName}`;
  const retryAttempts = options.retryAttempts ?? 2;
  const retryDelaysMs = options.retryDelaysMs ?? [50, 100];

  const closers: (() => unknown)[] = [];
  const unwind = async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
  };

  let logFile: LineFile | undefined;
  let dynamo: EmbeddedDynamoDb;
  let broker: EmbeddedBroker;
  let iotData: IotDataServer;
  let runtime: FunctionRuntime;
  let admin: DynamoDBClient;
  const events = new EventEmitter<TwinEvents>();
  const logPath = options.logFile === false ? undefined : (options.logFile ?? (stateDir ? join(stateDir, 'detector.log') : undefined));
  const deadLetterPath = options.deadLetterFile ?? (stateDir ? join(stateDir, 'dead-letter.jsonl') : undefined);

  const log = (line: string) => {
    logFile?.write(line);
    options.onLog?.(line);
    if (events.listenerCount('log') > 0) events.emit('log', line);
  };

  try {
    if (stateDir) {
      mkdirSync(stateDir, { recursive: true });
      closers.push(lockStateDir(stateDir));
    }
    if (logPath) {
      logFile = new LineFile(resolve(logPath), { truncate: options.truncateLogFile ?? false });
      const file = logFile;
      closers.push(() => file.close());
    }

    const dynamoDbPort = options.dynamoDbPort ?? 0;
    dynamo = await startDynamoDbThread({ host, port: dynamoDbPort, ...(stateDir ? { path: join(stateDir, 'dynamodb') } : {}) }).catch(
      (error: unknown) => {
        throw portError(error, 'DynamoDB', dynamoDbPort);
      },
    );
    closers.push(() => dynamo.close());
    admin = localDynamoDbClient(dynamo.endpoint);
    closers.push(() => admin.destroy());
    await ensureProfilesTable(admin, tableName);

    const mqttPort = options.mqttPort ?? 0;
    broker = await startBroker({ host, port: mqttPort }).catch((error: unknown) => {
      throw portError(error, 'MQTT', mqttPort);
    });
    closers.push(() => broker.close());

    iotData = await startIotDataServer(
      ({ topic, payload, qos, retain }) =>
        new Promise<void>((resolveOk, reject) =>
          broker.aedes.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (error) =>
            error ? reject(error) : resolveOk(),
          ),
        ),
      { host },
    );
    closers.push(() => iotData.close());

    const bundle = await buildFunctionBundle();
    runtime = new FunctionRuntime({
      bundle,
      functionName,
      functionArn,
      concurrency: options.concurrency ?? 4,
      timeoutMs: options.functionTimeoutMs ?? 10_000,
      memorySizeMb: options.memorySizeMb ?? 256,
      onLog: log,
      environment: {
        // What the Lambda service sets, then the function's own environment, as the stack sets it.
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySizeMb ?? 256),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: bundle.dir,
        ...detectorEnvironment({
          tableName,
          iotDataEndpoint: iotData.endpoint,
          dynamoDbEndpoint: dynamo.endpoint,
          ...(options.logLevel ? { logLevel: options.logLevel } : {}),
        }),
        // The deployed runtime is Node.js 22: the SDK's notice about older versions is noise here.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...options.environment,
      },
    });
    closers.push(() => runtime.close());
    await runtime.warm().catch((error: Error) => {
      throw new TwinStartError(error.message);
    });

    if (options.profiles !== undefined) {
      const profiles = typeof options.profiles === 'string' ? await loadProfilesFile(options.profiles) : options.profiles;
      await seedProfiles(admin, tableName, profiles);
    }
  } catch (error) {
    await unwind();
    throw error;
  }

  // ---- the rule and the asynchronous invocation queue ----
  const concurrency = runtime.concurrency;
  const lanes = new Map<string, Lane>();
  const ready: Lane[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  const waiting: Message[] = []; // messages waiting for a retry
  const waiters = new Set<Waiter>();
  const deadLetters: DeadLetterRecord[] = [];
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const counters = {
    received: 0,
    done: 0,
    processed: 0,
    eventsPublished: 0,
    invocations: 0,
    functionErrors: 0,
    retries: 0,
    deadLettered: 0,
    ruleErrors: 0,
    maxConcurrentInvocations: 0,
  };
  let inFlight = 0;
  let closing = false;
  let closed = false;

  const checkWaiters = () => {
    for (const waiter of waiters) {
      if (waiter.ready()) {
        waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    }
  };

  const handled = (message: HandledMessage) => {
    counters.done += 1;
    events.emit('handled', message);
    checkWaiters();
  };

  /** A message's handling is over: free its lane for the printer's next message, and report it. */
  const finish = (message: Message, status: 'processed' | 'dead-lettered', result?: DetectorResult) => {
    const { lane } = message;
    lane.queue.shift();
    if (lane.queue.length > 0) {
      ready.push(lane);
    } else {
      lane.active = false;
      if (lane.key !== undefined) lanes.delete(lane.key);
    }
    handled({
      requestId: message.requestId,
      topic: message.topic,
      printerId: message.printerId,
      event: message.event,
      attempts: message.attempts,
      status,
      ...(result ? { result } : {}),
    });
  };

  const deadLetter = (message: Message, error: SerializedError, condition: DeadLetterRecord['requestContext']['condition']) => {
    const record: DeadLetterRecord = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: message.requestId,
        functionArn: `${functionArn}:$LATEST`,
        condition,
        approximateInvokeCount: message.attempts,
      },
      requestPayload: message.event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace },
    };
    counters.deadLettered += 1;
    deadLetters.push(record);
    if (deadLetterPath) {
      mkdirSync(resolve(deadLetterPath, '..'), { recursive: true });
      appendFileSync(deadLetterPath, `${JSON.stringify(record)}\n`);
    }
    log(
      JSON.stringify({
        level: 'ERROR',
        message: `message sent to the on-failure destination (${condition}) after ${message.attempts} attempt(s)`,
        timestamp: record.timestamp,
        service: 'local-lambda-service',
        requestId: message.requestId,
        printerId: message.printerId,
        errorType: error.errorType,
        errorMessage: error.errorMessage,
        ...(deadLetterPath ? { deadLetterFile: deadLetterPath } : {}),
      }),
    );
    events.emit('dead-letter', record);
    finish(message, 'dead-lettered');
  };

  const run = async (message: Message) => {
    inFlight += 1;
    counters.maxConcurrentInvocations = Math.max(counters.maxConcurrentInvocations, inFlight);
    counters.invocations += 1;
    message.attempts += 1;
    events.emit('invoking', { requestId: message.requestId, printerId: message.printerId, attempt: message.attempts });
    const outcome = await runtime.invoke(message.requestId, message.event).catch((error: Error) => ({
      ok: false as const,
      error: { errorType: error.name, errorMessage: error.message, trace: [] },
      durationMs: 0,
      coldStart: false,
    }));
    inFlight -= 1;
    const result = outcome.ok && isDetectorResult(outcome.value) ? outcome.value : undefined;
    events.emit('invocation', {
      requestId: message.requestId,
      printerId: message.printerId,
      attempt: message.attempts,
      ok: outcome.ok,
      ...(result ? { result } : {}),
      ...(outcome.ok ? {} : { error: outcome.error }),
    });
    if (outcome.ok) {
      counters.processed += 1;
      if (result) {
        if (result.outcome in outcomes) outcomes[result.outcome] += 1;
        counters.eventsPublished += result.published;
      }
      finish(message, 'processed', result);
    } else {
      counters.functionErrors += 1;
      if (closing) {
        deadLetter(message, outcome.error, 'TwinClosed');
      } else if (message.attempts <= retryAttempts) {
        counters.retries += 1;
        const delay = retryDelaysMs[Math.min(message.attempts - 1, retryDelaysMs.length - 1)] ?? 0;
        waiting.push(message);
        const timer = setTimeout(() => {
          retryTimers.delete(timer);
          waiting.splice(waiting.indexOf(message), 1);
          ready.push(message.lane); // the lane stays blocked until its head message is done
          dispatch();
        }, delay);
        retryTimers.add(timer);
      } else {
        deadLetter(message, outcome.error, 'RetriesExhausted');
      }
    }
    dispatch();
  };

  const dispatch = () => {
    while (inFlight < concurrency && ready.length > 0) {
      const lane = ready.shift()!;
      const head = lane.queue[0];
      if (head) void run(head);
    }
  };

  const deliver = (packet: AedesPublishPacket, callback: () => void) => {
    try {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const evaluation = evaluateRule(rule, packet.topic, payload);
      if (!evaluation.matched) return;
      counters.received += 1;
      const requestId = randomUUID();
      if (!evaluation.ok) {
        counters.ruleErrors += 1;
        log(
          JSON.stringify({
            level: 'ERROR',
            message: `topic rule: ${evaluation.reason}`,
            timestamp: new Date().toISOString(),
            service: 'local-iot-rule',
            topic: packet.topic,
            payloadBytes: payload.byteLength,
          }),
        );
        handled({ requestId, topic: packet.topic, printerId: undefined, event: undefined, attempts: 0, status: 'rule-error' });
        return;
      }
      const printerId = peekPrinterId(evaluation.event);
      let lane = printerId === undefined ? undefined : lanes.get(printerId);
      if (!lane) {
        // A payload without a readable PrinterId has no order to keep: a lane of its own.
        lane = { key: printerId, queue: [], active: false };
        if (printerId !== undefined) lanes.set(printerId, lane);
      }
      lane.queue.push({ requestId, topic: packet.topic, event: evaluation.event, printerId, lane, attempts: 0 });
      if (!lane.active) {
        lane.active = true;
        ready.push(lane);
        dispatch();
      }
    } finally {
      callback();
    }
  };

  await new Promise<void>((subscribed) => broker.aedes.subscribe(rule.topicFilter, deliver, subscribed));

  const wait = (isReady: () => boolean, timeoutMs: number | undefined, what: string) =>
    new Promise<void>((resolveWait, reject) => {
      if (isReady()) {
        resolveWait();
        return;
      }
      if (closed) {
        reject(new TwinWaitError(`the twin is closed: ${what}`));
        return;
      }
      const waiter: Waiter = { ready: isReady, resolve: resolveWait, reject };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new TwinWaitError(`timed out after ${timeoutMs} ms waiting for ${what} (${counters.done} of ${counters.received} handled)`),
          );
        }, timeoutMs);
      }
      waiters.add(waiter);
    });

  const flushLogs = async () => {
    await logFile?.flush();
  };

  const twin: Twin = {
    mqttUrl: broker.url,
    mqttPort: broker.port,
    dynamoDbEndpoint: dynamo.endpoint,
    dynamoDbPort: dynamo.port,
    iotDataEndpoint: iotData.endpoint,
    tableName,
    region,
    functionName,
    stateDir,
    logFile: logFile?.path,
    deadLetterFile: deadLetterPath,
    broker: broker.aedes,
    dynamoDb: admin,
    events,
    stats: () => ({
      ...counters,
      outcomes: { ...outcomes },
      coldStarts: runtime.stats().coldStarts,
      inFlight,
    }),
    deadLetters: () => [...deadLetters],
    seed: async (profiles) => {
      const list = typeof profiles === 'string' ? await loadProfilesFile(profiles) : profiles;
      return (await seedProfiles(admin, tableName, list)).written;
    },
    waitForIdle: async (waitOptions = {}) => {
      await wait(() => counters.done >= counters.received, waitOptions.timeoutMs, 'every received message to be handled');
      await flushLogs();
    },
    waitUntilProcessed: async (count, waitOptions = {}) => {
      await wait(() => counters.done >= count, waitOptions.timeoutMs, `${count} messages to be handled`);
      await flushLogs();
    },
    flushLogs,
    close: async (closeOptions = {}) => {
      if (closing) return;
      closing = true;
      // Disable the rule first: nothing new comes in while the rest drains.
      await new Promise<void>((done) => broker.aedes.unsubscribe(rule.topicFilter, deliver, done));
      try {
        await wait(() => counters.done >= counters.received, closeOptions.drainTimeoutMs ?? 10_000, 'the twin to drain');
      } catch {
        // Whatever is still held fails fast below and is dead-lettered, never dropped.
        for (const timer of retryTimers) clearTimeout(timer);
        retryTimers.clear();
        for (const message of waiting.splice(0)) ready.push(message.lane);
      }
      // Invocations still running fail when their environments stop; queued ones fail
      // on the closed runtime: every one of them is dead-lettered as TwinClosed.
      await runtime.close();
      dispatch();
      await wait(() => counters.done >= counters.received, undefined, 'the twin to dead-letter what it holds');
      await flushLogs().catch(() => undefined);
      closed = true;
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new TwinWaitError('the twin was closed'));
      }
      waiters.clear();
      await unwind();
    },
  };
  return twin;
}
