/**
 * A Powertools logger and metrics that keep what they would print, so tests
 * can assert on the detector's structured log records and EMF documents.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../contract/index.ts';

export class CapturingLogger extends Logger {
  readonly lines: Record<string, unknown>[] = [];

  protected override printLog(_level: number, log: LogItem): void {
    log.prepareForPrint();
    this.lines.push(JSON.parse(JSON.stringify(log.getAttributes())) as Record<string, unknown>);
  }
}

export class CapturingMetrics extends Metrics {
  readonly documents: Record<string, unknown>[] = [];

  override publishStoredMetrics(): this {
    if (this.hasStoredMetrics()) this.documents.push(this.serializeMetrics() as unknown as Record<string, unknown>);
    this.clearMetrics();
    return this;
  }
}

export function captureTelemetry() {
  const logger = new CapturingLogger({ serviceName: SERVICE_NAME });
  const metrics = new CapturingMetrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  return {
    logger,
    metricsPublisher: metrics,
    /** Structured log records. */
    records: () => logger.lines,
    /** EMF metric documents. */
    metrics: () => metrics.documents,
    clear: () => {
      logger.lines.length = 0;
      metrics.documents.length = 0;
    },
  };
}
