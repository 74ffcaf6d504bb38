/**
 * IAM on the twin, for the tests: a scenario that drives every path of the
 * stack (readings, events, alarm transitions and notifications, enrolment,
 * the clock, every operator API route, gateways in device identity mode, the
 * stream in stream ingest), so that what IAM allowed during it is every grant
 * the product needs; and a template with one grant taken away.
 */
import { replay } from '../../emitter/replay.ts';
import type { CloudTemplate } from '../../twin/cloud-template.ts';
import type { Twin } from '../../twin/twin.ts';
import { apiClient } from './twin-api.ts';

/** Profiles that give every path something to do: an alarm that raises, one that goes silent, enrolment by `*`. */
export const IAM_SCENARIO_PROFILES = [
  { PrinterId: '*', Enrol: true, Thresholds: { Lower: 0, Upper: 100 }, Window: 1 },
  { PrinterId: 'Hot', Thresholds: { Lower: 20, Upper: 80 }, Window: 1, OutOfBoundsCount: 0, EventCount: 0 },
  { PrinterId: 'Quiet', Thresholds: { Lower: 20, Upper: 80 }, Window: 1, SilenceSeconds: 60, OutOfBoundsCount: 0, EventCount: 0 },
] as const;

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
  const api = apiClient(twin.httpUrl);
  const status: Record<string, number> = {};
  const call = async (name: string, method: string, path: string, body?: unknown) => {
    status[name] = (await api(method, path, body === undefined ? {} : { body })).status;
  };
  await call('health', 'GET', '/api/health');
  await call('ranked', 'GET', '/api/printers/ranked?limit=5');
  await call('printers', 'GET', '/api/printers');
  await call('alarms', 'GET', '/api/alarms');
  await call('printer', 'GET', '/api/printers/Hot');
  await call('put', 'PUT', '/api/printers/Hot', { Thresholds: { Lower: 20, Upper: 85 }, Window: 1 });
  await call('snooze', 'POST', '/api/printers/Quiet/alarm', {
    action: 'snooze',
    note: 'seen',
    until: new Date(Date.now() + 3_600_000).toISOString(),
  });
  await call('history', 'GET', '/api/printers/Hot/history?limit=5');
  await call('events', 'GET', '/api/events?limit=5');
  return status;
}

/** `template` with `action` taken out of every statement of the role of the function (or role) at `path`. */
export function withoutAction(template: CloudTemplate, rolePath: string, action: string): CloudTemplate {
  const copy = structuredClone(template) as { -readonly [K in keyof CloudTemplate]: CloudTemplate[K] };
  const at = copy.resources[copy.paths[rolePath]!]!;
  const roleId =
    at.Type === 'AWS::IAM::Role' ? copy.paths[rolePath]! : (at.Properties!['Role'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
  let removed = 0;
  for (const resource of Object.values(copy.resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    if (!(resource.Properties!['Roles'] as { Ref: string }[]).some((r) => r.Ref === roleId)) continue;
    const document = resource.Properties!['PolicyDocument'] as { Statement: { Action: string | string[] }[] };
    for (const statement of document.Statement) {
      const actions = [statement.Action].flat();
      if (actions.includes(action)) {
        removed++;
        statement.Action = actions.filter((a) => a !== action);
      }
    }
    document.Statement = document.Statement.filter((s) => [s.Action].flat().length > 0);
  }
  if (removed === 0) throw new Error(`no statement of ${rolePath}'s role grants ${action}`);
  return copy;
}
