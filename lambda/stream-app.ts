/**
 * Stream ingest (`docs/deploy.md`, "Stream ingest"): the topic rule writes each
 * message to a Kinesis stream keyed by PrinterId, and this handler consumes
 * it in batches. It groups the batch's records by printer, folds each
 * printer's readings in shard order into one guarded write, and reports as
 * failed only what it must: the first record of a printer whose write failed
 * (Lambda then retries from there; records after it that were applied are
 * recognised by the printer's recorded stream position and skipped).
 * Bad records are logged and dropped, never failed: retrying cannot mend them.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { METRIC } from '../contract/index.ts';
import { createDetector, type DetectorDependencies } from './app.ts';
import { parseMessage } from './core/reading.ts';
import { TransientError } from './errors.ts';
import { invalidMessage, type ProcessResult, type StreamRecordReadings } from './processor.ts';

/** What an invocation returns: Lambda's partial batch response, plus what the twin and tests read. */
export interface StreamResult extends KinesisStreamBatchResponse {
  readonly printers: number;
  readonly results: readonly ProcessResult[];
}

/** Printers processed at once within a batch (each printer's records stay in order within its one write). */
const PRINTER_CONCURRENCY = 8;

export function createStreamHandler(deps: DetectorDependencies) {
  const { logger, processor, telemetry } = createDetector(deps);

  /** The batch's readings per printer, in shard order; bad and foreign records are reported and dropped. */
  async function groupByPrinter(event: KinesisStreamEvent): Promise<Map<string, StreamRecordReadings[]>> {
    const printers = new Map<string, StreamRecordReadings[]>();
    for (const record of event.Records) {
      const sequence = record.kinesis.sequenceNumber;
      const message = parseMessage(Buffer.from(record.kinesis.data, 'base64'));
      if (!message.ok) {
        telemetry.record(invalidMessage(message.reason, message.printerId));
        continue;
      }
      const { printerId, readings, invalid: invalidElements } = message;
      if (invalidElements.length > 0) {
        telemetry.record({
          outcome: 'invalid',
          readings: { invalid: invalidElements.length },
          invalidElements,
          printerId,
          deliveredEvents: [],
          conflicts: 0,
        });
      }
      const refusal = await processor.senderRefusal(printerId, message.sender);
      if (refusal !== undefined) {
        telemetry.record({
          outcome: 'foreign-printer',
          readings: { 'foreign-printer': readings.length },
          reason: refusal,
          printerId,
          deliveredEvents: [],
          conflicts: 0,
        });
        continue;
      }
      if (readings.length === 0) continue;
      const list = printers.get(printerId) ?? [];
      list.push({ sequence, readings });
      printers.set(printerId, list);
    }
    return printers;
  }

  return async function handler(
    event: KinesisStreamEvent,
    context: Pick<Context, 'awsRequestId'> & Partial<Context>,
  ): Promise<StreamResult> {
    logger.appendKeys({ requestId: context.awsRequestId });
    try {
      const printers = [...(await groupByPrinter(event)).entries()];
      const results: ProcessResult[] = [];
      const failed: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < printers.length) {
          const [printerId, records] = printers[next++]!;
          try {
            const result = await processor.processStream(printerId, records, context.awsRequestId);
            telemetry.record(result);
            results.push(result);
          } catch (error) {
            if (!(error instanceof TransientError)) throw error;
            const readings = records.reduce((n, record) => n + record.readings.length, 0);
            telemetry.count(METRIC.readings, readings);
            logger.error('printer not processed: its records are reported failed so that Lambda retries them', {
              printerId,
              error,
            });
            failed.push(records[0]!.sequence);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(PRINTER_CONCURRENCY, printers.length) }, worker));
      return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })), printers: printers.length, results };
    } finally {
      telemetry.flush();
      logger.removeKeys(['requestId']);
    }
  };
}
