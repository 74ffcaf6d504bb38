/**
 * Each fixture (`fixtures/README.md` says where each comes from): the exact
 * profiles the import writes, the printers it starts DISABLED, and the exact
 * report lines.
 */
import { describe, expect, it } from 'vitest';
import { checkProfiles } from '../../lambda/core/profile-input.ts';
import { reportLine } from '../../importer/report.ts';
import type { ImportPlan, KeyMap } from '../../importer/plan.ts';
import { fixture, planOf } from './fixtures.ts';

const KEY_MAP = fixture('key-map.json') as KeyMap;

function shown(plan: ImportPlan) {
  // Whatever the import plans must pass the one validator.
  expect(checkProfiles(plan.profiles).ok).toBe(true);
  return { profiles: plan.profiles, startDisabled: plan.startDisabled, lines: plan.lines.map((line) => reportLine(line).trim()) };
}

describe('importing the fixtures', () => {
  it('a temperature alarm model with the acknowledge flow: critical, Latch, fleet defaults', () => {
    expect(shown(planOf('alarm-ack.json', {}))).toEqual({
      profiles: [
        {
          PrinterId: '*',
          Thresholds: {
            temperature: {
              Upper: 240,
            },
          },
          Window: 1,
          Severity: 'critical',
          Latch: true,
          Enrol: true,
        },
      ],
      startDisabled: [],
      lines: [
        'exact         alarmRule.simpleRule.inputProperty: $input.PrinterInput.sensorData.temperature -> metric "temperature": devices send it as data.temperature in their reading on anom/detect',
        'exact         alarmRule.simpleRule.comparisonOperator: value > 240 -> Upper 240 (above it is out of bounds)',
        'exact         severity: 1 -> critical (table: 0-1 critical, 2 major, 3 minor, 4+ warning)',
        'exact         alarmCapabilities.acknowledgeFlow.enabled: true -> Latch true: a cleared alarm waits in LATCHED for acknowledge; ACKNOWLEDGED clears by itself',
        "approximate   alarmEventActions: sns (arn:aws:sns:eu-west-1:ACCOUNT_ID:printer-alarms): transitions are notified to the stack SNS topic (one topic for the fleet): subscribe this topic's subscribers to it",
        'not supported alarmEventActions: lambda (arn:aws:lambda:eu-west-1:ACCOUNT_ID:function:ticketing): not carried over: subscribe the function to the stack SNS topic or to anom/alarm/+',
        'approximate   alarmNotification: 1 notification action(s) (email/SMS through a Lambda): transitions go to the stack SNS topic; subscribe the recipients there (cdk deploy -c notificationEmail=...)',
        "exact         key: printerId, no --key-map: fleet defaults * with Enrol: every printer that reports gets this rule and its own alarm (a printer's own attributes win); readings carry the key value as PrinterId",
      ],
    });
  });

  it('an unkeyed model without the acknowledge flow, <= (approximate): no Latch', () => {
    expect(shown(planOf('alarm-no-ack.json', {}))).toEqual({
      profiles: [
        {
          PrinterId: '*',
          Thresholds: {
            bed: {
              Lower: 50,
            },
          },
          Window: 1,
          Severity: 'minor',
          Enrol: true,
        },
      ],
      startDisabled: [],
      lines: [
        'exact         alarmRule.simpleRule.inputProperty: $input.PrinterInput.sensorData.bed -> metric "bed": devices send it as data.bed in their reading on anom/detect',
        'approximate   alarmRule.simpleRule.comparisonOperator: value <= 50 -> Lower 50: our bounds are inclusive, so exactly 50 does not alarm here; --exact-bounds gives Lower 50.00000000000001, exact',
        'exact         severity: 3 -> minor (table: 0-1 critical, 2 major, 3 minor, 4+ warning)',
        'approximate   alarmCapabilities.acknowledgeFlow.enabled: false -> no Latch: the alarm returns to NORMAL by itself; acknowledge stays possible on ACTIVE (that flow had no ACKNOWLEDGED)',
        'not supported alarmEventActions: sqs (https://sqs.eu-west-1.amazonaws.com/ACCOUNT_ID/alarms): not carried over: an IoT rule on anom/alarm/+ with an SQS action gives the same feed',
        'approximate   key: none: IoT Events kept one alarm for all inputs; here each printer has its own (fleet defaults * with Enrol)',
      ],
    });
  });

  it('a model that starts disabled, over the printers of a key map: each starts DISABLED', () => {
    expect(shown(planOf('alarm-disabled.json', { keyMap: KEY_MAP }))).toEqual({
      profiles: [
        {
          PrinterId: 'Printer1',
          Thresholds: {
            chamber: {
              Upper: 60,
            },
          },
          Window: 1,
          Severity: 'major',
          Latch: true,
          Mode: 'consecutive',
          Clear: {
            chamber: {
              Upper: 60,
            },
          },
          ClearAfter: 1,
        },
        {
          PrinterId: 'Printer2',
          Thresholds: {
            chamber: {
              Upper: 60,
            },
          },
          Window: 1,
          Severity: 'major',
          Latch: true,
          Mode: 'consecutive',
          Clear: {
            chamber: {
              Upper: 60,
            },
          },
          ClearAfter: 1,
        },
        {
          PrinterId: 'Printer3',
          Thresholds: {
            chamber: {
              Upper: 60,
            },
          },
          Window: 1,
          Severity: 'major',
          Latch: true,
          Mode: 'consecutive',
          Clear: {
            chamber: {
              Upper: 60,
            },
          },
          ClearAfter: 1,
        },
      ],
      startDisabled: ['Printer1', 'Printer2', 'Printer3'],
      lines: [
        'exact         alarmRule.simpleRule.inputProperty: $input.PrinterInput.sensorData.chamber -> metric "chamber": devices send it as data.chamber in their reading on anom/detect',
        'exact         alarmRule.simpleRule.comparisonOperator: value > 60 -> Upper 60 (above it is out of bounds)',
        'exact         severity: 2 -> major (table: 0-1 critical, 2 major, 3 minor, 4+ warning)',
        'exact         alarmCapabilities.acknowledgeFlow.enabled: true -> Latch true: a cleared alarm waits in LATCHED for acknowledge; ACKNOWLEDGED clears by itself',
        'approximate   fleet defaults: Mode, Severity, Latch, Clear and ClearAfter are written so * cannot change them; Adaptive, SilenceSeconds and RenotifyMinutes the model does not set: a * that has them applies them to these printers too',
        'exact         key: printerId: one alarm per printer of --key-map, as IoT Events kept one per key value (dev-001 -> Printer1, dev-002 -> Printer2, dev-003 -> Printer3)',
        'exact         alarmCapabilities.initializationConfiguration.disabledOnInitialization: true -> each printer this import creates starts DISABLED (the disable action); existing printers keep their alarm',
      ],
    });
  });

  it('a keyed model over many devices, with a key map: one profile per printer', () => {
    expect(shown(planOf('alarm-keyed-fleet.json', { keyMap: KEY_MAP }))).toEqual({
      profiles: [
        {
          PrinterId: 'Printer1',
          Thresholds: {
            humidity: {
              Upper: 65,
            },
          },
          Window: 1,
          Severity: 'warning',
          Mode: 'consecutive',
          Latch: false,
          Clear: {
            humidity: {
              Upper: 65,
            },
          },
          ClearAfter: 1,
        },
        {
          PrinterId: 'Printer2',
          Thresholds: {
            humidity: {
              Upper: 65,
            },
          },
          Window: 1,
          Severity: 'warning',
          Mode: 'consecutive',
          Latch: false,
          Clear: {
            humidity: {
              Upper: 65,
            },
          },
          ClearAfter: 1,
        },
        {
          PrinterId: 'Printer3',
          Thresholds: {
            humidity: {
              Upper: 65,
            },
          },
          Window: 1,
          Severity: 'warning',
          Mode: 'consecutive',
          Latch: false,
          Clear: {
            humidity: {
              Upper: 65,
            },
          },
          ClearAfter: 1,
        },
      ],
      startDisabled: [],
      lines: [
        'exact         alarmRule.simpleRule.inputProperty: $input.FleetInput.metrics.humidity -> metric "humidity": devices send it as data.humidity in their reading on anom/detect',
        'exact         alarmRule.simpleRule.comparisonOperator: value > 65 -> Upper 65 (above it is out of bounds)',
        'exact         severity: 4 -> warning (table: 0-1 critical, 2 major, 3 minor, 4+ warning)',
        'approximate   alarmCapabilities.acknowledgeFlow.enabled: false -> no Latch: the alarm returns to NORMAL by itself; acknowledge stays possible on ACTIVE (that flow had no ACKNOWLEDGED)',
        "approximate   alarmEventActions: iotTopicPublish (alarms/humidity): transitions are published on anom/alarm/<PrinterId> (our payload, not IoT Events')",
        'not supported alarmEventActions: dynamoDBv2: not carried over: the PrinterEvents history table records every transition',
        'approximate   fleet defaults: Mode, Severity, Latch, Clear and ClearAfter are written so * cannot change them; Adaptive, SilenceSeconds and RenotifyMinutes the model does not set: a * that has them applies them to these printers too',
        'exact         key: deviceId: one alarm per printer of --key-map, as IoT Events kept one per key value (dev-001 -> Printer1, dev-002 -> Printer2, dev-003 -> Printer3)',
      ],
    });
  });

  it('a detector model with the timeout pattern and a heartbeat: duration mode and silence', () => {
    expect(shown(planOf('detector-timeout.json', {}))).toEqual({
      profiles: [
        {
          PrinterId: '*',
          Thresholds: {
            temperature: {
              Upper: 240,
            },
          },
          Mode: 'duration',
          DurationSeconds: 120,
          SilenceSeconds: 300,
          Enrol: true,
        },
      ],
      startDisabled: [],
      lines: [
        'approximate   state Normal, onInput event heartbeat: every input resets timer "noData" -> SilenceSeconds 300',
        'exact         state Normal, onInput event overTemperature: $input.PrinterInput.sensorData.temperature > 240 starts timer "overheat": the band (out of bounds when it holds)',
        'exact         state Normal, transition to Pending event toPending: $input.PrinterInput.sensorData.temperature > 240: still out of bounds',
        'approximate   state Normal, transition to Offline event toOffline: timeout -> ACTIVE (silent), seen at the first sweep at or after it (every minute)',
        'exact         state Pending, transition to Normal event cooledDown: $input.PrinterInput.sensorData.temperature <= 240: back in bounds: the run ends and the alarm clears',
        'approximate   state Pending, transition to Overheated event overheated: timeout after 120 s -> Mode duration, DurationSeconds 120: raised by the first out-of-bounds reading 120 s or more into the run, not by the clock',
        "approximate   state Pending, transition to Overheated event overheated, action sns (arn:aws:sns:eu-west-1:ACCOUNT_ID:printer-alarms): transitions are notified to the stack SNS topic (one topic for the fleet): subscribe this topic's subscribers to it",
        'exact         state Overheated, transition to Normal event recovered: $input.PrinterInput.sensorData.temperature <= 240: back in bounds: the run ends and the alarm clears',
        'exact         state Offline, transition to Normal event back: any input ends the silence: the next reading returns the alarm to NORMAL (cause clear)',
        'approximate   severity: a detector model has no severity: imported as major (the default); set Severity to change it',
        "exact         key: printerId, no --key-map: fleet defaults * with Enrol: every printer that reports gets this rule and its own alarm (a printer's own attributes win); readings carry the key value as PrinterId",
      ],
    });
  });

  it('a detector model that cannot be imported: every state and event reported, nothing written', () => {
    expect(shown(planOf('detector-unsupported.json', {}))).toEqual({
      profiles: [],
      startDisabled: [],
      lines: [
        'not imported  state Counting, onEnter event init: true: outside the threshold-with-timer patterns',
        'not imported  state Counting, onEnter event init, action setVariable: detector variables have no equal: only the band, the duration and the silence are imported',
        'not imported  state Counting, onInput event countJam: $input.PrinterInput.status == "JAM": a condition outside the threshold-with-timer patterns',
        'not imported  state Counting, onInput event countJam, action setVariable: detector variables have no equal: only the band, the duration and the silence are imported',
        'not imported  state Counting, transition to Service event tooManyJams: $variable.jams > 3: a condition outside the threshold-with-timer patterns',
        'not supported state Counting, transition to Service event tooManyJams, action lambda (arn:aws:lambda:eu-west-1:ACCOUNT_ID:function:open-ticket): not carried over: subscribe the function to the stack SNS topic or to anom/alarm/+',
        'not imported  state Service, transition to Counting event serviced: $input.PrinterInput.status == "OK": a condition outside the threshold-with-timer patterns',
        'not imported  detector model: no threshold-with-timer pattern (a comparison that starts a timer, and a transition on its timeout)',
      ],
    });
  });

  it('the models as a CloudFormation template (YAML, short-form intrinsics)', () => {
    expect(shown(planOf('template.yaml', {}))).toEqual({
      profiles: [
        {
          PrinterId: '*',
          Thresholds: {
            temperature: {
              Upper: 240,
            },
          },
          Window: 1,
          Severity: 'critical',
          Latch: true,
          Enrol: true,
        },
      ],
      startDisabled: [],
      lines: [
        'exact         alarmRule.simpleRule.inputProperty: $input.PrinterInput.sensorData.temperature -> metric "temperature": devices send it as data.temperature in their reading on anom/detect',
        'exact         alarmRule.simpleRule.comparisonOperator: value > 240 -> Upper 240 (above it is out of bounds)',
        'exact         severity: 1 -> critical (table: 0-1 critical, 2 major, 3 minor, 4+ warning)',
        'exact         alarmCapabilities.acknowledgeFlow.enabled: true -> Latch true: a cleared alarm waits in LATCHED for acknowledge; ACKNOWLEDGED clears by itself',
        "approximate   alarmEventActions: sns: transitions are notified to the stack SNS topic (one topic for the fleet): subscribe this topic's subscribers to it",
        "exact         key: printerId, no --key-map: fleet defaults * with Enrol: every printer that reports gets this rule and its own alarm (a printer's own attributes win); readings carry the key value as PrinterId",
        'exact         alarmRule.simpleRule.inputProperty: $input.PrinterInput.sensorData.chamber -> metric "chamber": devices send it as data.chamber in their reading on anom/detect',
        'not supported alarmRule.simpleRule.threshold: !Ref "ChamberLimit" is not a number: a threshold read from another input or parameter has no equal; give the number',
        'exact         severity: 2 -> major (table: 0-1 critical, 2 major, 3 minor, 4+ warning)',
        'exact         alarmCapabilities.acknowledgeFlow.enabled: true -> Latch true: a cleared alarm waits in LATCHED for acknowledge; ACKNOWLEDGED clears by itself',
        'not supported alarm model: not imported: its rule has no equal here (see the lines above)',
        'exact         state Normal, onInput event overTemperature: $input.PrinterInput.sensorData.temperature > 240 starts timer "overheat": the band (out of bounds when it holds)',
        'exact         state Normal, transition to Pending event toPending: $input.PrinterInput.sensorData.temperature > 240: still out of bounds',
        'exact         state Pending, transition to Normal event cooledDown: $input.PrinterInput.sensorData.temperature <= 240: back in bounds: the run ends and the alarm clears',
        'approximate   state Pending, transition to Overheated event overheated: timeout after 120 s -> Mode duration, DurationSeconds 120: raised by the first out-of-bounds reading 120 s or more into the run, not by the clock',
        'exact         state Overheated, transition to Normal event recovered: $input.PrinterInput.sensorData.temperature <= 240: back in bounds: the run ends and the alarm clears',
        'approximate   severity: a detector model has no severity: imported as major (the default); set Severity to change it',
        "exact         key: printerId, no --key-map: fleet defaults * with Enrol: every printer that reports gets this rule and its own alarm (a printer's own attributes win); readings carry the key value as PrinterId",
        'not supported key: * already takes its profile from printerTemperatureAck: one alarm per printer, import them separately',
      ],
    });
  });

  it('with --exact-bounds, <= becomes the next number a reading can take, exact', () => {
    const plan = planOf('alarm-no-ack.json', { exactBounds: true });
    expect(plan.profiles[0]?.Thresholds).toEqual({ bed: { Lower: 50.00000000000001 } });
    expect(reportLine(plan.lines[1]!).trim()).toBe(
      'exact         alarmRule.simpleRule.comparisonOperator: value <= 50 -> Lower 50.00000000000001 (the next number a reading can take)',
    );
  });
});
