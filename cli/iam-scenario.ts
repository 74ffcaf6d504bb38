/**
 * The twin's IAM coverage: a scenario that drives every path of the stack
 * (readings, events, alarm transitions and notifications, enrolment, the
 * clock, every operator API route, a gateway in device identity mode, the
 * stream in stream ingest), so that what IAM allowed during it is every grant
 * the product needs. A grant it leaves unused is a finding, unless it is kept
 * with the reason written next to it in `lib/` ({@link KEPT_GRANTS}). Run by
 * `npm run preflight` and test/twin/iam.test.ts.
 */
import { HISTORY_AFTER_WRITE_REASON, PENDING_DELIVERY_REASON } from '../lib/alarm-delivery.ts';
import { DEPLOY_TIME_LOOKUP_REASON } from '../lib/iot-data-endpoint.ts';
import type { ProfileInput } from '../contract/index.ts';
import { replay } from '../emitter/replay.ts';
import type { Twin } from '../twin/twin.ts';

/** Profiles that give every path something to do: an alarm that raises, one that goes silent, enrolment by `*`. */
export const IAM_SCENARIO_PROFILES: readonly ProfileInput[] = [
  { PrinterId: '*', Enrol: true, Thresholds: { Lower: 0, Upper: 100 }, Window: 1 },
  { PrinterId: 'Hot', Thresholds: { Lower: 20, Upper: 80 }, Window: 1, OutOfBoundsCount: 0, EventCount: 0 },
  { PrinterId: 'Quiet', Thresholds: { Lower: 20, Upper: 80 }, Window: 1, SilenceSeconds: 60, OutOfBoundsCount: 0, EventCount: 0 },
] as unknown as ProfileInput[];

/** A gateway thing that reports for `Hot` (device identity mode). */
export const IAM_SCENARIO_THINGS = { 'gw-1': { printers: 'Hot' } } as const;

/** Runs the scenario; returns the API's status codes by route (each must be 2xx). */
export async function exerciseEveryPath(twin: Twin): Promise<Record<string, number>> {
  // Each printer publishes as itself (its own thing in device identity mode).
  let seq = 0;
  const send = async (printerId: string, value: number, clientId = printerId) => {
    seq += 1;
    await replay([{ PrinterId: printerId, data: { value }, seq }], { endpoint: twin.mqttUrl, qos: 1, clientId });
    await twin.waitForIdle({ timeoutMs: 30_000 });
  };
  await send('Hot', 90); // an event, NORMAL -> ACTIVE, history, a notification
  await send('Quiet', 50); // a silence deadline
  await send('Enrolled', 50); // enrolled by `*`
  await send('Hot', 50, 'gw-1'); // a gateway reporting for a printer: the registry is read in device identity mode
  await twin.sweep(new Date(Date.now() + 10 * 60_000)); // Quiet goes silent
  const status: Record<string, number> = {};
  const call = async (name: string, method: string, path: string, body?: unknown) => {
    const init = body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    const response = await fetch(`${twin.httpUrl}${path}`, init);
    await response.arrayBuffer();
    status[name] = response.status;
  };
  await call('health', 'GET', '/api/health');
  await call('ranked', 'GET', '/api/printers/ranked?limit=5');
  await call('printers', 'GET', '/api/printers');
  await call('alarms', 'GET', '/api/alarms');
  await call('alarms page', 'GET', '/api/alarms?limit=1');
  await call('search', 'GET', '/api/printers?search=hO&limit=5');
  await call('printer', 'GET', '/api/printers/Hot');
  await call('put', 'PUT', '/api/printers/Hot', { Thresholds: { Lower: 20, Upper: 85 }, Window: 1 });
  await call('snooze', 'POST', '/api/printers/Quiet/alarm', {
    action: 'snooze',
    note: 'seen',
    until: new Date(Date.now() + 3_600_000).toISOString(),
  });
  await call('preview', 'POST', '/api/printers/Hot/preview?n=5', { Thresholds: { Lower: 20, Upper: 95 }, Window: 1 });
  await call('bulk', 'POST', '/api/alarms/actions', { printers: ['Hot', 'Ghost'], action: 'acknowledge', note: 'both' });
  await call('history', 'GET', '/api/printers/Hot/history?limit=5');
  await call('events', 'GET', '/api/events?limit=5');
  await call('event counts', 'GET', '/api/events/counts?buckets=6');
  return status;
}

/** Grants a run of the twin cannot need, each with the reason written next to the grant in lib/. */
export const KEPT_GRANTS: readonly { readonly role: RegExp; readonly grant: RegExp; readonly reason: string }[] = [
  { role: /^AWS679f53fac002430cb0da5b7982bd2287/, grant: /^- iot:DescribeEndpoint \*$/, reason: DEPLOY_TIME_LOOKUP_REASON },
  {
    role: /^(Sweep|OperatorApi)Role/,
    grant: /^(PublishEventsAndAlarmTransitions iot:Publish .*topic\/anom\/pred|PublishAlarmNotifications |EncryptAlarmNotifications )/,
    reason: PENDING_DELIVERY_REASON,
  },
  { role: /^(Detector|Sweep|OperatorApi)Role/, grant: /^RecordHistory dynamodb:BatchWriteItem /, reason: HISTORY_AFTER_WRITE_REASON },
];

/** What the scenario found: refusals, routes that failed, and grants no request needed and no reason keeps. */
export interface IamCoverage {
  readonly denied: string[];
  readonly failedRoutes: string[];
  readonly unexplained: string[];
  readonly grants: number;
  readonly unused: number;
}

/** Runs the scenario on `twin` (whose log lines so far and to come are in `lines`) and reports. */
export async function iamCoverage(twin: Twin, lines: readonly string[]): Promise<IamCoverage> {
  const status = await exerciseEveryPath(twin);
  const unused = (await twin.iam.unexercisedGrants()).map((g) => ({
    role: twin.iam.roleNameOf(g.role),
    grant: `${g.sid ?? '-'} ${g.action} ${g.resource}`,
  }));
  return {
    denied: lines.filter((line) => line.includes('IAM denied')).map((line) => String(JSON.parse(line).message)),
    failedRoutes: Object.entries(status)
      .filter(([, code]) => code >= 300)
      .map(([route, code]) => `${route} answered ${code}`),
    unexplained: unused
      .filter((u) => !KEPT_GRANTS.some((k) => k.role.test(u.role) && k.grant.test(u.grant)))
      .map((u) => `${u.role} ${u.grant}`),
    grants: twin.iam.grants().length,
    unused: unused.length,
  };
}
