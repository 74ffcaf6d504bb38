/**
 * The function's on-failure destination in the twin: a message whose last
 * attempt failed (or, in stream ingest, a batch of stream records whose
 * retries ran out) is kept as the record Lambda sends to an on-failure
 * destination, in memory and, when the twin has a file for it, appended to
 * that file (JSON Lines). `docs/local.md`, "How the twin delivers readings".
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SerializedError } from './lambda-runtime.ts';

/** Which stream records a dead letter stands for, as Lambda's Kinesis event source mapping describes them. */
export interface KinesisBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  readonly batchSize: number;
  readonly streamArn: string;
}

/**
 * A dead-lettered message or stream batch, in the shape of Lambda's
 * on-failure destination record (`test/fixtures/aws-events/`). For a message
 * (an asynchronous invocation) it carries the event (`requestPayload`) and
 * the last attempt's error (`responsePayload`). For a stream batch it
 * carries only `KinesisBatchInfo`, as Lambda sends it: the records stay in
 * the stream, read back by their sequence numbers; only when the twin closes
 * with the batch undone (`TwinClosed`, a twin-only condition) does the
 * record also carry the batch's event, since an in-memory stream goes with it.
 */
export interface DeadLetterRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    /** Qualified (`:$LATEST`) for an asynchronous invocation, unqualified for a stream batch, as Lambda writes them. */
    readonly functionArn: string;
    readonly condition: DeadLetterCondition;
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload?: unknown;
  readonly responseContext: { readonly statusCode: 200; readonly executedVersion: '$LATEST'; readonly functionError: 'Unhandled' };
  /** Asynchronous invocations only. */
  readonly responsePayload?: { readonly errorType: string; readonly errorMessage: string; readonly trace: readonly string[] };
  /** Stream batches only. */
  readonly KinesisBatchInfo?: KinesisBatchInfo;
}

/** One failed action of a topic rule, as its error action lists it. */
export interface RuleActionFailure {
  readonly failedAction: string;
  readonly failedResource: string;
  readonly errorMessage: string;
}

/**
 * The message a topic rule's error action sends for a message whose action
 * failed: AWS IoT's error action payload (`test/fixtures/aws-events/`), with
 * the message as the rule received it, base64-encoded. The stack's error
 * action sends it to the same dead-letter queue as Lambda's on-failure records.
 */
export interface RuleErrorMessage {
  readonly ruleName: string;
  readonly topic: string;
  readonly cloudwatchTraceId: string;
  readonly clientId: string;
  readonly base64OriginalPayload: string;
  readonly failures: readonly RuleActionFailure[];
}

/**
 * Why a message was dead-lettered: its retries ran out (`RetriesExhausted`
 * for an asynchronous invocation, `RetryAttemptsExhausted` for a stream
 * batch, as Lambda names them), or the twin closed while it was held.
 */
export type DeadLetterCondition = 'RetriesExhausted' | 'RetryAttemptsExhausted' | 'TwinClosed';

/** What the destination needs to know of a message. */
export interface FailedMessage {
  readonly requestId: string;
  readonly printerId: string | undefined;
  readonly event: unknown;
  /** The event's JSON text, as the rule made it: written as it is (see `JsonEvent` in `rule.ts`). */
  readonly json?: string;
  readonly attempts: number;
}

/** What the destination needs to know of a stream batch: the invocation that failed last, and its records. */
export interface FailedStreamBatch {
  readonly requestId: string;
  /** The Kinesis event of the batch's records. */
  readonly event: unknown;
  readonly attempts: number;
  readonly batchInfo: KinesisBatchInfo;
}

export interface DeadLetterOptions {
  /** The function's ARN (unqualified); records name `$LATEST` of it. */
  readonly functionArn: string;
  /** The file records are appended to. @default none: in memory only */
  readonly file?: string;
  /** Receives one ERROR log line per record, as the twin's Lambda service reports it. */
  readonly log?: (line: string) => void;
  /** Why IAM refuses Lambda's send to the destination (`cloud-iam.ts`): records are then lost, as in the cloud. */
  readonly refused?: string | undefined;
  /** Why IAM refuses the topic rule's error action its send to the queue: its messages are then lost. */
  readonly ruleErrorRefused?: string | undefined;
}

/** What Lambda reports of a function error in every on-failure record. */
const RESPONSE_CONTEXT: DeadLetterRecord['responseContext'] = { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' };

/** The on-failure destination. */
export class DeadLetters {
  private readonly records: DeadLetterRecord[] = [];

  constructor(private readonly options: DeadLetterOptions) {}

  private readonly ruleErrorMessages: RuleErrorMessage[] = [];

  /** Every record so far, oldest first. */
  list(): readonly DeadLetterRecord[] {
    return [...this.records];
  }

  /** Every message of the rule's error action so far, oldest first. */
  ruleErrors(): readonly RuleErrorMessage[] {
    return [...this.ruleErrorMessages];
  }

  /** Keeps the topic rule's error action message; returns it, or undefined when IAM refuses the send. */
  sendRuleError(message: RuleErrorMessage): RuleErrorMessage | undefined {
    const { file, log, ruleErrorRefused } = this.options;
    const summary = `topic rule ${message.ruleName}: message on ${message.topic} sent to the error action (${message.failures.map((f) => f.failedAction).join(', ')})`;
    const line = { level: 'ERROR', timestamp: new Date().toISOString(), service: 'local-iot-rule', topic: message.topic };
    if (ruleErrorRefused !== undefined) {
      log?.(JSON.stringify({ ...line, message: `${summary}: refused by IAM, the message is lost`, reason: ruleErrorRefused }));
      return undefined;
    }
    this.ruleErrorMessages.push(message);
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${JSON.stringify(message)}\n`);
    }
    log?.(
      JSON.stringify({
        ...line,
        message: summary,
        errorMessage: message.failures[0]?.errorMessage,
        ...(file ? { deadLetterFile: file } : {}),
      }),
    );
    return message;
  }

  /** Keeps `message` with the error of its last attempt; returns its record. */
  send(message: FailedMessage, error: SerializedError, condition: DeadLetterCondition): DeadLetterRecord {
    const record: DeadLetterRecord = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: this.requestContext(message, `${this.options.functionArn}:$LATEST`, condition),
      requestPayload: message.event,
      responseContext: RESPONSE_CONTEXT,
      responsePayload: { errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace },
    };
    this.keep(
      record,
      error,
      `message sent to the on-failure destination (${condition}) after ${message.attempts} attempt(s)`,
      { printerId: message.printerId },
      message.json,
    );
    return record;
  }

  /** Keeps a stream batch with the error of its last attempt; returns its record. */
  sendStreamBatch(batch: FailedStreamBatch, error: SerializedError, condition: DeadLetterCondition): DeadLetterRecord {
    const { batchInfo } = batch;
    const record: DeadLetterRecord = {
      requestContext: this.requestContext(batch, this.options.functionArn, condition),
      responseContext: RESPONSE_CONTEXT,
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: batchInfo,
      ...(condition === 'TwinClosed' ? { requestPayload: batch.event } : {}),
    };
    this.keep(
      record,
      error,
      `stream batch of ${batchInfo.batchSize} record(s) sent to the on-failure destination (${condition}) after ${batch.attempts} attempt(s)`,
      { shardId: batchInfo.shardId, startSequenceNumber: batchInfo.startSequenceNumber, endSequenceNumber: batchInfo.endSequenceNumber },
    );
    return record;
  }

  private requestContext(
    failed: { readonly requestId: string; readonly attempts: number },
    functionArn: string,
    condition: DeadLetterCondition,
  ): DeadLetterRecord['requestContext'] {
    return { requestId: failed.requestId, functionArn, condition, approximateInvokeCount: failed.attempts };
  }

  /** Keeps the record, appends it to the file, and logs one ERROR line as the twin's Lambda service reports it. */
  private keep(record: DeadLetterRecord, error: SerializedError, message: string, fields: Record<string, unknown>, json?: string): void {
    const { file, log, refused } = this.options;
    if (refused !== undefined) {
      log?.(
        JSON.stringify({
          level: 'ERROR',
          message: `${message}: refused by IAM, the record is lost`,
          timestamp: record.timestamp,
          service: 'local-lambda-service',
          requestId: record.requestContext.requestId,
          reason: refused,
        }),
      );
      return;
    }
    this.records.push(record);
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${line(record, json)}\n`);
    }
    log?.(
      JSON.stringify({
        level: 'ERROR',
        message,
        timestamp: record.timestamp,
        service: 'local-lambda-service',
        requestId: record.requestContext.requestId,
        ...fields,
        errorType: error.errorType,
        errorMessage: error.errorMessage,
        ...(file ? { deadLetterFile: file } : {}),
      }),
    );
  }
}

/** A record as one line of JSON; with the payload's own text when given, which is not serialised again. */
function line(record: DeadLetterRecord, json: string | undefined): string {
  if (json === undefined) return JSON.stringify(record);
  const { requestPayload: _, ...rest } = record;
  return `${JSON.stringify(rest).slice(0, -1)},"requestPayload":${json}}`;
}
