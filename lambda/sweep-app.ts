/**
 * The sweep function (the clock), and the alarm writer it shares with the
 * operator API and the CLIs, assembled from the same parts as the detector:
 * the profile store, the IoT Data publisher, the history table and the
 * notifications topic.
 */
import type { SNSClientConfig } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME, SWEEP_METRIC } from '../contract/index.ts';
import { AlarmWriter } from './alarm-writer.ts';
import { IotDataEventPublisher } from './adapters/iot-data-publisher.ts';
import { type DetectorDependencies, outboxSinks, profileStore } from './app.ts';
import { FleetDefaults } from './fleet-defaults.ts';
import { OutboxDelivery } from './outbox.ts';
import { type SweepResult, sweep } from './sweep.ts';

/** The alarm writer on the deployed (or the twin's) table, publisher, history and topic. */
export function createAlarmWriter(
  deps: Pick<DetectorDependencies, 'config' | 'dynamoDb' | 'iotData' | 'historyInWrite'>,
  now = () => new Date(),
  snsConfig: SNSClientConfig = {},
): AlarmWriter {
  const store = profileStore(deps);
  const delivery = new OutboxDelivery(store, {
    publisher: new IotDataEventPublisher(deps.iotData, deps.config.predictionTopic),
    ...outboxSinks(deps, snsConfig),
  });
  return new AlarmWriter(store, delivery, new FleetDefaults(store, now, 30_000, () => {}));
}

/**
 * The time a sweep runs for: the schedule's (`{"time": "<aws.scheduler.scheduled-time>"}`,
 * so a retried sweep keeps its time; the twin passes its clock's), else now.
 */
function scheduledTime(event: unknown): number | undefined {
  const time = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)['time'] : undefined;
  const at = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  return Number.isFinite(at) ? at : undefined;
}

/** The sweep handler: one sweep at the time it runs; it fails (so the schedule retries) when a printer could not be moved. */
export function createSweepHandler(
  deps: Pick<DetectorDependencies, 'config' | 'dynamoDb' | 'iotData' | 'logger' | 'metrics'> & { now?: () => Date },
) {
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME });
  const metrics = deps.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const writer = createAlarmWriter(deps, now);
  return async function handler(event?: unknown): Promise<SweepResult> {
    try {
      const at = scheduledTime(event) ?? now().getTime();
      const result = await sweep({ client: deps.dynamoDb, tableName: deps.config.tableName, writer }, at, (printerId, error) =>
        logger.error('sweep could not move a printer; the next sweep tries again', { printerId, error: error as Error }),
      );
      metrics.addMetric(SWEEP_METRIC.due, MetricUnit.Count, result.due);
      metrics.addMetric(SWEEP_METRIC.transitions, MetricUnit.Count, result.transitions);
      metrics.addMetric(SWEEP_METRIC.failures, MetricUnit.Count, result.failed);
      metrics.addMetric(SWEEP_METRIC.undelivered, MetricUnit.Count, result.undelivered);
      // It runs every minute: only a sweep that had something due is worth an INFO line.
      if (result.due > 0) logger.info('sweep', { ...result });
      else logger.debug('sweep', { ...result });
      if (result.failed > 0) throw new Error(`sweep: ${result.failed} of ${result.due} due printer(s) could not be moved`);
      return result;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
