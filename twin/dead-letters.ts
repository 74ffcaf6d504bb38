/**
 * The function's on-failure destination in the twin: a message whose last
 * attempt failed is kept as the record Lambda sends to an on-failure
 * destination, in memory and, when the twin has a file for it, appended to
 * that file (JSON Lines). README "How the twin delivers readings".
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SerializedError } from './lambda-runtime.ts';

/** A dead-lettered message, in the shape of Lambda's on-failure destination record. */
export interface DeadLetterRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: DeadLetterCondition;
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: { readonly statusCode: 200; readonly executedVersion: '$LATEST'; readonly functionError: 'Unhandled' };
  readonly responsePayload: { readonly errorType: string; readonly errorMessage: string; readonly trace: readonly string[] };
}

/** Why a message was dead-lettered: its retries ran out, or the twin closed while it was held. */
export type DeadLetterCondition = 'RetriesExhausted' | 'TwinClosed';

/** What the destination needs to know of a message. */
export interface FailedMessage {
  readonly requestId: string;
  readonly printerId: string | undefined;
  readonly event: unknown;
  readonly attempts: number;
}

export interface DeadLetterOptions {
  /** The function's ARN (unqualified); records name `$LATEST` of it. */
  readonly functionArn: string;
  /** The file records are appended to. @default none: in memory only */
  readonly file?: string;
  /** Receives one ERROR log line per record, as the twin's Lambda service reports it. */
  readonly log?: (line: string) => void;
}

/** The on-failure destination. */
export class DeadLetters {
  private readonly records: DeadLetterRecord[] = [];

  constructor(private readonly options: DeadLetterOptions) {}

  /** Every record so far, oldest first. */
  list(): readonly DeadLetterRecord[] {
    return [...this.records];
  }

  /** Keeps `message` with the error of its last attempt; returns its record. */
  send(message: FailedMessage, error: SerializedError, condition: DeadLetterCondition): DeadLetterRecord {
    const { file, log } = this.options;
    const record: DeadLetterRecord = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: message.requestId,
        functionArn: `${this.options.functionArn}:$LATEST`,
        condition,
        approximateInvokeCount: message.attempts,
      },
      requestPayload: message.event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace },
    };
    this.records.push(record);
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${JSON.stringify(record)}\n`);
    }
    log?.(
      JSON.stringify({
        level: 'ERROR',
        message: `message sent to the on-failure destination (${condition}) after ${message.attempts} attempt(s)`,
        timestamp: record.timestamp,
        service: 'local-lambda-service',
        requestId: message.requestId,
        printerId: message.printerId,
        errorType: error.errorType,
        errorMessage: error.errorMessage,
        ...(file ? { deadLetterFile: file } : {}),
      }),
    );
    return record;
  }
}
