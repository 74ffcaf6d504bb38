/**
 * What the detector tells CloudWatch about each message it processed: EMF
 * metrics (names in `contract/detector-function.ts`) and structured log lines,
 * the same for every handler (direct invocation and stream ingest).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC } from '../contract/index.ts';
import type { Outcome, ProcessResult } from './processor.ts';

export class ReadingTelemetry {
  constructor(
    readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Adds `value` to a count metric (nothing for 0). */
  readonly count = (name: string, value = 1): void => {
    if (value > 0) this.metrics.addMetric(name, MetricUnit.Count, value);
  };

  /** Counts and logs what processing one message did. */
  record(result: ProcessResult): void {
    const count = this.count;
    const logger = this.logger;
    const { printerId, reason, state } = result;
    const n = (outcome: Outcome) => result.readings[outcome] ?? 0;
    const readings = Object.values(result.readings).reduce((sum, k) => sum + (k ?? 0), 0);
    count(METRIC.readings, readings);
    count(METRIC.writeConflicts, result.conflicts);
    count(METRIC.publishFailures, result.undelivered ?? 0);
    count(METRIC.invalidReadings, n('invalid'));
    count(METRIC.unknownPrinters, n('unknown-printer'));
    count(METRIC.configurationErrors, n('bad-profile'));
    count(METRIC.foreignPrinters, n('foreign-printer'));
    count(METRIC.skippedReadings, n('duplicate') + n('late'));
    count(METRIC.redeliveries, n('redelivered'));
    count(METRIC.outOfBounds, n('out-of-bounds') + n('event'));
    count(METRIC.anomalyEvents, n('event'));
    // A batch's bad elements are skipped and reported one by one, like invalid readings.
    for (const element of result.invalidElements ?? []) logger.warn('invalid reading dropped', { reason: element.reason, printerId });
    // Readings invalid for the printer's profile (a monitored metric missing or bad), unless the message's reason says it.
    if (result.reason === undefined || result.outcome !== 'invalid') {
      for (const why of result.invalidReadings ?? []) logger.warn('invalid reading dropped', { reason: why, printerId });
    }
    count(METRIC.alarmTransitions, result.transitions?.length ?? 0);
    const batch = readings > 1 ? { readings: result.readings } : {};
    switch (result.outcome) {
      case 'invalid':
        if (result.invalidElements === undefined) logger.warn('invalid reading dropped', { reason, printerId });
        break;
      case 'unknown-printer':
        logger.warn('reading for a printer without a profile dropped', { printerId, ...batch });
        break;
      case 'bad-profile':
        logger.error('profile configuration error: reading not applied', { printerId, reason, ...batch });
        break;
      case 'foreign-printer':
        logger.warn('reading from a sender that may not report for this printer dropped', { printerId, reason, ...batch });
        break;
      case 'duplicate':
      case 'late':
        logger.info(`${result.outcome} reading skipped`, {
          printerId,
          lastSeq: state?.lastSeq,
          lastTimestamp: state?.lastTimestamp,
          ...batch,
        });
        break;
      case 'redelivered':
        logger.info('redelivered invocation: its reading was already applied; only publishing was left', { printerId, ...batch });
        break;
      case 'event':
        logger.info('anomaly event', { printerId, events: state?.eventCount, window: state?.rules.window, ...batch });
        break;
      case 'out-of-bounds':
        logger.debug('out-of-bounds reading', { printerId, outOfBoundsCount: state?.outOfBoundsCount, ...batch });
        break;
      case 'in-bounds':
        logger.debug('in-bounds reading', { printerId, ...batch });
        break;
    }
    if ((result.undelivered ?? 0) > 0) {
      logger.error('anomaly events or alarm transitions left pending: a later invocation delivers them', {
        printerId,
        unpublished: result.undelivered,
      });
    }
  }

  /** Sends the metrics gathered since the last flush (one EMF document). */
  flush(): void {
    this.metrics.publishStoredMetrics();
  }
}
