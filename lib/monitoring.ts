/**
 * Alarms and a dashboard for the detector: the function's own health, the
 * dead-letter queue, the topic rule's action failures, the detector's EMF
 * metrics (namespace METRICS_NAMESPACE, dimension `service` = SERVICE_NAME,
 * which Powertools Metrics adds to every metric by default) and, with stream
 * ingest, how far the function lags behind the reading stream; and for what
 * follows from the readings: the sweep (the clock), alarm notifications and
 * the operator API.
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  TreatMissingData,
  type IAlarmAction,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, SWEEP_METRIC } from '../contract/index.ts';

/** What moves and tells about alarms outside the readings: each gets its alarms and a dashboard row. */
export interface AlarmOperations {
  /** The sweep function (the clock). */
  readonly sweepFunction: IFunction;
  /** The sweep's dead-letter queue (failed runs, after retries). */
  readonly sweepDeadLetterQueue: IQueue;
  /** The alarm notifications topic. */
  readonly notificationsTopic: ITopic;
  /** The operator API. */
  readonly api: IHttpApi;
}

export interface DetectorMonitoringProps {
  /** The detector function (with stream ingest, the stream's consumer). */
  readonly function: IFunction;
  /**
   * Stream ingest: the reading stream the function consumes, for the
   * iterator age alarm and the stream's row on the dashboard.
   * @default - direct ingest: no stream
   */
  readonly stream?: IStream;
  /**
   * Stream ingest: the iterator age alarm fires when the oldest record the
   * function has not processed is older than this (normally a batching
   * window plus one batch's duration: a few seconds).
   * @default Duration.seconds(60)
   */
  readonly iteratorAgeThreshold?: Duration;
  /** The dead-letter queue of failed readings. */
  readonly deadLetterQueue: IQueue;
  /** Name of the topic rule that invokes the function. */
  readonly ruleName: string;
  /**
   * The sweep, the notifications topic and the operator API.
   * @default - none: the detector's alarms and rows only
   */
  readonly alarmOperations?: AlarmOperations;
  /**
   * Where alarms notify (e.g. an SNS topic action) when they fire and recover.
   * @default - no notification: alarm state shows on the dashboard and in the console
   */
  readonly alarmActions?: readonly IAlarmAction[];
  /**
   * Dashboard name (dashboards are global to the account, hence the region in it).
   * @default `<stack name>-<region>`, e.g. `PrinterAnomaly-eu-west-1`
   */
  readonly dashboardName?: string;
  /**
   * Period of the alarms' metrics.
   * @default Duration.minutes(5)
   */
  readonly alarmPeriod?: Duration;
}

/** Alarms (each fires on the first occurrence) and one dashboard. */
export class DetectorMonitoring extends Construct {
  /** Every alarm created, for wiring extra actions. */
  public readonly alarms: readonly Alarm[];
  /** The dashboard. */
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: DetectorMonitoringProps) {
    super(scope, id);
    const period = props.alarmPeriod ?? Duration.minutes(5);
    const fn = props.function;

    // No labels here: an alarm on a labelled metric renders as metric math.
    // The dashboard adds labels with `.with({ label })`.
    const detectorMetric = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum' });
    const ruleMetric = (metricName: string) =>
      new Metric({ namespace: 'AWS/IoT', metricName, dimensionsMap: { RuleName: props.ruleName }, statistic: 'Sum' });

    const emf = {
      readings: detectorMetric(METRIC.readings),
      outOfBounds: detectorMetric(METRIC.outOfBounds),
      anomalyEvents: detectorMetric(METRIC.anomalyEvents),
      invalid: detectorMetric(METRIC.invalidReadings),
      unknown: detectorMetric(METRIC.unknownPrinters),
      skipped: detectorMetric(METRIC.skippedReadings),
      configurationErrors: detectorMetric(METRIC.configurationErrors),
      publishFailures: detectorMetric(METRIC.publishFailures),
      writeConflicts: detectorMetric(METRIC.writeConflicts),
    };
    const functionErrors = fn.metricErrors({ statistic: 'Sum' });
    const functionThrottles = fn.metricThrottles({ statistic: 'Sum' });
    const ruleFailures = ruleMetric('Failure');
    const ruleErrorActionFailures = ruleMetric('ErrorActionFailure');
    const dlqDepth = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' });

    // Fires on the first occurrence unless given a threshold to exceed.
    const alarm = (alarmId: string, metric: Metric, description: string, above?: number) => {
      const created = new Alarm(this, alarmId, {
        metric: metric.with({ period }),
        alarmDescription: description,
        threshold: above ?? 1,
        evaluationPeriods: 1,
        comparisonOperator:
          above === undefined ? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD : ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      for (const action of props.alarmActions ?? []) {
        created.addAlarmAction(action);
        created.addOkAction(action);
      }
      return created;
    };

    const { stream } = props;
    const ops = props.alarmOperations;
    const opsMetrics = ops && {
      sweepErrors: ops.sweepFunction.metricErrors({ statistic: 'Sum' }),
      sweepFailures: detectorMetric(SWEEP_METRIC.failures),
      sweepDue: detectorMetric(SWEEP_METRIC.due),
      sweepTransitions: detectorMetric(SWEEP_METRIC.transitions),
      undelivered: detectorMetric(SWEEP_METRIC.undelivered),
      sweepDlq: ops.sweepDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
      notificationsPublished: ops.notificationsTopic.metricNumberOfMessagesPublished({ statistic: 'Sum' }),
      notificationsFailed: ops.notificationsTopic.metricNumberOfNotificationsFailed({ statistic: 'Sum' }),
      apiRequests: ops.api.metricCount({ statistic: 'Sum' }),
      api4xx: ops.api.metricClientError({ statistic: 'Sum' }),
      api5xx: ops.api.metricServerError({ statistic: 'Sum' }),
      sweepDuration: (statistic: string) => ops.sweepFunction.metricDuration({ statistic }),
      apiLatency: (statistic: string) => ops.api.metricLatency({ statistic }),
    };
    const iteratorAge = fn.metric('IteratorAge', { statistic: 'Maximum' });
    this.alarms = [
      alarm('FunctionErrors', functionErrors, 'The detector threw (transient failures are retried; see its logs).'),
      alarm('FunctionThrottles', functionThrottles, 'The detector was throttled: readings are delayed.'),
      alarm('DeadLetterQueueNotEmpty', dlqDepth, 'Readings failed for good: inspect and replay the dead-letter queue.'),
      alarm(
        'RuleActionFailures',
        ruleFailures,
        stream
          ? 'The topic rule could not put readings on the reading stream (the error action keeps the reading).'
          : 'The topic rule could not invoke the detector (the error action keeps the reading).',
      ),
      alarm('RuleErrorActionFailures', ruleErrorActionFailures, 'The topic rule could not record a failed reading: it is lost.'),
      alarm(
        'ProfileConfigurationErrors',
        emf.configurationErrors,
        'A printer profile is invalid (Window < 1 or Lower > Upper): its readings are not applied.',
      ),
      alarm('EventPublishFailures', emf.publishFailures, 'Anomaly events could not be published yet (they stay pending and are retried).'),
      ...(stream
        ? [
            alarm(
              'StreamIteratorAge',
              iteratorAge,
              'The detector lags behind the reading stream: readings are delayed (see its errors, throttles and duration).',
              (props.iteratorAgeThreshold ?? Duration.seconds(60)).toMilliseconds(),
            ),
          ]
        : []),
      ...(opsMetrics
        ? [
            alarm(
              'SweepErrors',
              opsMetrics.sweepErrors,
              'The sweep threw: alarms due (silence, snooze expiry, re-notification) may be late.',
            ),
            alarm(
              'SweepFailures',
              opsMetrics.sweepFailures,
              'The sweep could not move a due printer (retried by the next sweeps; see the sweep logs).',
            ),
            alarm(
              'SweepDeadLetterQueueNotEmpty',
              opsMetrics.sweepDlq,
              'A sweep failed for good after its retries: the clock is failing (see the sweep logs).',
            ),
            alarm(
              'NotificationFailures',
              opsMetrics.notificationsFailed,
              'SNS could not deliver an alarm notification to a subscriber (see the topic delivery status).',
            ),
            alarm('ApiServerErrors', opsMetrics.api5xx, 'The operator API answered with a server error (see the API function logs).'),
          ]
        : []),
    ];

    const graph = (title: string, left: [Metric, string][], width = 8) =>
      new GraphWidget({
        title,
        left: left.map(([metric, label]) => metric.with({ label })),
        width,
        height: 6,
        period: Duration.minutes(1),
      });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${Stack.of(this).stackName}-${Aws.REGION}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          graph('Readings', [
            [emf.readings, 'readings'],
            [emf.invalid, 'invalid'],
            [emf.unknown, 'unknown printer'],
            [emf.skipped, 'duplicate or late'],
          ]),
          graph('Out of bounds and anomaly events', [
            [emf.outOfBounds, 'out of bounds'],
            [emf.anomalyEvents, 'anomaly events'],
          ]),
          graph('Invalid readings and detector problems', [
            [emf.invalid, 'invalid readings'],
            [emf.configurationErrors, 'profile configuration errors'],
            [emf.publishFailures, 'event publish failures'],
            [emf.writeConflicts, 'write conflicts (retried)'],
          ]),
        ],
        [
          graph('Duration (ms)', [
            [fn.metricDuration({ statistic: 'p50' }), 'p50'],
            [fn.metricDuration({ statistic: 'p99' }), 'p99'],
            [fn.metricDuration({ statistic: 'Maximum' }), 'max'],
          ]),
          graph('Errors', [
            [functionErrors, 'function errors'],
            [functionThrottles, 'throttles'],
            [ruleFailures, 'rule action failures'],
            [ruleErrorActionFailures, 'rule error action failures'],
          ]),
          graph('Dead-letter queue', [[dlqDepth, 'messages visible']]),
        ],
        ...(stream
          ? [
              [
                graph('Reading stream', [
                  [stream.metricIncomingRecords({ statistic: 'Sum' }), 'records in'],
                  [stream.metricGetRecords({ statistic: 'Sum' }), 'records read'],
                ]),
                graph('Stream lag (ms)', [
                  [iteratorAge, 'detector iterator age (max)'],
                  [stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum' }), 'stream iterator age (max)'],
                ]),
                graph('Stream throttling', [
                  [stream.metricWriteProvisionedThroughputExceeded({ statistic: 'Sum' }), 'writes throttled'],
                  [stream.metricReadProvisionedThroughputExceeded({ statistic: 'Sum' }), 'reads throttled'],
                ]),
              ],
            ]
          : []),
        ...(opsMetrics
          ? [
              [
                graph('Alarm transitions', [
                  [detectorMetric(METRIC.alarmTransitions), 'by the detector'],
                  [opsMetrics.sweepTransitions, 'by the sweep'],
                  [opsMetrics.notificationsPublished, 'notifications published'],
                  [opsMetrics.notificationsFailed, 'notifications failed'],
                ]),
                graph('Sweep', [
                  [opsMetrics.sweepDue, 'due printers'],
                  [opsMetrics.sweepFailures, 'printers not moved'],
                  [opsMetrics.undelivered, 'undelivered (kept pending)'],
                  [opsMetrics.sweepErrors, 'sweep errors'],
                  [opsMetrics.sweepDlq, 'dead letters'],
                ]),
                graph('Sweep duration (ms)', [
                  [opsMetrics.sweepDuration('p50'), 'p50'],
                  [opsMetrics.sweepDuration('Maximum'), 'max'],
                ]),
              ],
              [
                graph('Operator API requests', [[opsMetrics.apiRequests, 'requests']]),
                graph('Operator API errors', [
                  [opsMetrics.api4xx, '4xx'],
                  [opsMetrics.api5xx, '5xx'],
                ]),
                graph('Operator API latency (ms)', [
                  [opsMetrics.apiLatency('p50'), 'p50'],
                  [opsMetrics.apiLatency('p99'), 'p99'],
                ]),
              ],
            ]
          : []),
        [new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 24, height: 4 })],
      ],
    });
  }
}
