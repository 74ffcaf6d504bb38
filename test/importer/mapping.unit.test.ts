/**
 * The importer's pieces one by one: reading documents (describe-* output,
 * templates in JSON and YAML with intrinsics), the severity table and its
 * override, the key map, each comparison operator, the detector patterns
 * found by structure whatever the names, and, over generated alarm models,
 * that the import never guesses: a model either gives a profile the one
 * validator accepts, or says why not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapAlarmModel } from '../../importer/alarm-model.ts';
import { parseTemplateText } from '../../importer/cfn-yaml.ts';
import { mapDetectorModel } from '../../importer/detector-model.ts';
import { DEFAULT_SEVERITY_MAP, metricOfInput, parseSeverityMap, SeverityMapError, severityOf } from '../../importer/mapping.ts';
import { KeyMapError, parseKeyMap, planImport } from '../../importer/plan.ts';
import { type AlarmModelSource, findModels } from '../../importer/sources.ts';
import { checkProfiles } from '../../lambda/core/profile-input.ts';

const alarm = (rule: Record<string, unknown>, extra: Record<string, unknown> = {}): AlarmModelSource =>
  ({
    alarmModelName: 'm',
    alarmRule: { simpleRule: { inputProperty: '$input.In.t', threshold: '10', ...rule } },
    ...extra,
  }) as AlarmModelSource;

describe('documents', () => {
  it('reads a JSON template: PascalCase to the API spelling, a logical id as the name, intrinsics kept and reported', () => {
    const found = findModels(
      {
        Resources: {
          Hot: {
            Type: 'AWS::IoTEvents::AlarmModel',
            Properties: {
              Severity: 2,
              AlarmRule: { SimpleRule: { InputProperty: '$input.In.t', ComparisonOperator: 'GREATER', Threshold: { Ref: 'Limit' } } },
            },
          },
          Other: { Type: 'AWS::SNS::Topic' },
        },
      },
      't.json',
    );
    expect(found.problems).toEqual([]);
    expect(found.alarmModels).toEqual([
      {
        alarmModelName: 'Hot',
        severity: 2,
        alarmRule: {
          simpleRule: { inputProperty: '$input.In.t', comparisonOperator: 'GREATER', threshold: { intrinsic: 'Ref', argument: 'Limit' } },
        },
      },
    ]);
    const mapped = mapAlarmModel(found.alarmModels[0]!, DEFAULT_SEVERITY_MAP);
    expect(mapped.rules).toBeUndefined();
    expect(mapped.lines.find((l) => l.where === 'alarmRule.simpleRule.threshold')?.text).toMatch(/^!Ref "Limit" is not a number/);
  });

  it('reads YAML short-form intrinsics as their long form', () => {
    expect(parseTemplateText('a: !Ref X\nb: !GetAtt R.Arn\nc: !Sub [x, {}]\nd: !If [C, 1, 2]\n')).toEqual({
      a: { Ref: 'X' },
      b: { 'Fn::GetAtt': ['R', 'Arn'] },
      c: { 'Fn::Sub': ['x', {}] },
      d: { 'Fn::If': ['C', 1, 2] },
    });
  });

  it('says what it could not read', () => {
    expect(findModels([], 'a').problems).toEqual(['a: not a JSON or YAML map']);
    expect(findModels({ hello: 1 }, 'b').problems).toEqual([
      'b: neither describe-alarm-model nor describe-detector-model output, nor a template with Resources',
    ]);
    expect(findModels({ Resources: {} }, 'c').problems).toEqual([
      'c: a template without AWS::IoTEvents::AlarmModel or AWS::IoTEvents::DetectorModel resources',
    ]);
  });
});

describe('severity', () => {
  it('maps integers by the documented table, and by --severity-map', () => {
    expect([0, 1, 2, 3, 4, 99].map((n) => severityOf(n, DEFAULT_SEVERITY_MAP))).toEqual([
      'critical',
      'critical',
      'major',
      'minor',
      'warning',
      'warning',
    ]);
    const map = parseSeverityMap('5=minor,0=critical,10=warning');
    expect([0, 4, 5, 9, 10].map((n) => severityOf(n, map))).toEqual(['critical', 'critical', 'minor', 'minor', 'warning']);
  });

  it('refuses a table with a hole, a repeated bound or an unknown name', () => {
    for (const text of ['1=critical', '0=critical,0=major', '0=urgent', '0=major,x'])
      expect(() => parseSeverityMap(text)).toThrow(SeverityMapError);
  });
});

describe('key map', () => {
  it('takes key values to valid PrinterIds, else one line naming the entry', () => {
    expect(parseKeyMap({ a: 'P1' }, 'k.json')).toEqual({ a: 'P1' });
    expect(() => parseKeyMap({}, 'k.json')).toThrow(KeyMapError);
    expect(() => parseKeyMap({ a: '*' }, 'k.json')).toThrow(/k\.json: key "a"/);
    expect(() => parseKeyMap({ a: 3 }, 'k.json')).toThrow(KeyMapError);
  });

  it('gives a second model for the same printers no profile, and says so', () => {
    const one = mapAlarmModel(alarm({ comparisonOperator: 'GREATER' }, { alarmModelName: 'one', key: 'id' }), DEFAULT_SEVERITY_MAP);
    const two = mapAlarmModel(alarm({ comparisonOperator: 'LESS' }, { alarmModelName: 'two', key: 'id' }), DEFAULT_SEVERITY_MAP);
    const plan = planImport([one, two], { k1: 'P1' });
    expect(plan.profiles.map((p) => p.PrinterId)).toEqual(['P1']);
    expect(plan.lines.at(-1)).toEqual({
      model: 'two',
      where: 'key',
      status: 'not supported',
      text: 'P1 already takes its profile from one: one alarm per printer, import them separately',
    });
  });
});

describe('alarm rules', () => {
  it.each([
    ['GREATER', 'exact', { Upper: 10 }],
    ['LESS', 'exact', { Lower: 10 }],
    ['GREATER_OR_EQUAL', 'approximate', { Upper: 10 }],
    ['LESS_OR_EQUAL', 'approximate', { Lower: 10 }],
  ])('%s is %s', (operator, status, band) => {
    const mapped = mapAlarmModel(alarm({ comparisonOperator: operator }), DEFAULT_SEVERITY_MAP);
    expect(mapped.lines.find((l) => l.where === 'alarmRule.simpleRule.comparisonOperator')?.status).toBe(status);
    expect(mapped.rules?.Thresholds).toEqual({ t: band });
  });

  it.each(['EQUAL', 'NOT_EQUAL'])('%s is not supported, with the reason', (operator) => {
    const mapped = mapAlarmModel(alarm({ comparisonOperator: operator }), DEFAULT_SEVERITY_MAP);
    expect(mapped.rules).toBeUndefined();
    expect(mapped.lines[1]).toMatchObject({ status: 'not supported', text: expect.stringContaining('a band cannot say "equal"') });
  });

  it('a threshold that is an expression over another input is not supported', () => {
    const mapped = mapAlarmModel(alarm({ comparisonOperator: 'GREATER', threshold: '$input.In.limit' }), DEFAULT_SEVERITY_MAP);
    expect(mapped.rules).toBeUndefined();
    expect(mapped.lines[1]?.status).toBe('not supported');
  });

  it('reads the metric from the last segment of the input path, quoted segments too', () => {
    expect(metricOfInput('$input.In.a.b')).toEqual({ input: 'In', metric: 'b' });
    expect(metricOfInput('$input.`my-input`.`nozzle-temp`')).toEqual({ input: 'my-input', metric: 'nozzle-temp' });
    expect(metricOfInput('$variable.x')).toBeUndefined();
    expect(metricOfInput('$input.OnlyInput')).toBeUndefined();
  });
});

describe('detector patterns, found by structure', () => {
  const detector = (breach: string, back: string, seconds: number | string) => ({
    detectorModel: {
      detectorModelConfiguration: { detectorModelName: 'd' },
      detectorModelDefinition: {
        initialStateName: 'A',
        states: [
          {
            stateName: 'A',
            onInput: {
              events: [{ eventName: 'e1', condition: breach, actions: [{ setTimer: { timerName: 'x', seconds } }] }],
              transitionEvents: [{ eventName: 'e2', condition: breach, nextState: 'B' }],
            },
          },
          {
            stateName: 'B',
            onInput: {
              transitionEvents: [
                { eventName: 'e3', condition: back, nextState: 'A' },
                { eventName: 'e4', condition: "timeout('x')", nextState: 'C' },
              ],
            },
          },
          { stateName: 'C', onInput: { transitionEvents: [{ eventName: 'e5', condition: back, nextState: 'A' }] } },
        ],
      },
    },
  });
  const mapped = (doc: unknown) => mapDetectorModel(findModels(doc, 'd').detectorModels[0]!);

  it('whatever the state names, a comparison written either way round, below as well as above', () => {
    expect(mapped(detector('$input.I.p < 5', '$input.I.p >= 5', 30)).rules).toEqual({
      Thresholds: { p: { Lower: 5 } },
      Mode: 'duration',
      DurationSeconds: 30,
    });
    expect(mapped(detector('10 < $input.I.p', '$input.I.p <= 10', 30)).rules).toEqual({
      Thresholds: { p: { Upper: 10 } },
      Mode: 'duration',
      DurationSeconds: 30,
    });
  });

  it('a timer started on entering the state the breach leads to is the same pattern', () => {
    const doc = detector('$input.I.p > 5', '$input.I.p <= 5', 30) as {
      detectorModel: { detectorModelDefinition: { states: Record<string, unknown>[] } };
    };
    const [a, b] = doc.detectorModel.detectorModelDefinition.states as [{ onInput: { events: unknown[] } }, Record<string, unknown>];
    a.onInput.events = [];
    b['onEnter'] = { events: [{ eventName: 'start', condition: 'true', actions: [{ setTimer: { timerName: 'x', seconds: 30 } }] }] };
    const result = mapped(doc);
    expect(result.rules).toEqual({ Thresholds: { p: { Upper: 5 } }, Mode: 'duration', DurationSeconds: 30 });
    expect(result.lines.find((l) => l.where === 'state B, onEnter event start')).toMatchObject({ status: 'exact' });
  });

  it('not imported when another comparison needs a second band', () => {
    const result = mapped(detector('$input.I.p > 5', '$input.I.p < 4', 30));
    expect(result.rules).toBeUndefined();
    expect(result.lines.at(-1)).toEqual({
      model: 'd',
      where: 'detector model',
      status: 'not imported',
      text: 'comparisons on another attribute or value (e3, e5): not one band',
    });
  });

  it('not imported when the timer has no constant length, or the comparison is not on one attribute', () => {
    expect(mapped(detector('$input.I.p > 5', '$input.I.p <= 5', '$input.I.wait')).rules).toBeUndefined();
    expect(mapped(detector('$input.I.p > $input.I.q', '$input.I.p <= 5', 30)).rules).toBeUndefined();
    expect(mapped(detector('$input.I.p > 5 && $input.I.q > 1', '$input.I.p <= 5', 30)).lines.at(-1)).toMatchObject({
      status: 'not imported',
    });
  });
});

describe('never a guess (generated alarm models)', () => {
  const documentArb = fc.record(
    {
      alarmModelName: fc.string({ minLength: 1, maxLength: 20 }),
      key: fc.option(fc.constantFrom('printerId', 'deviceId'), { nil: undefined }),
      severity: fc.option(fc.integer({ min: 0, max: 2_000_000_000 }), { nil: undefined }),
      alarmRule: fc.record({
        simpleRule: fc.record({
          inputProperty: fc.oneof(fc.constantFrom('$input.In.t', '$input.In.a.b', '$variable.v', ''), fc.string()),
          comparisonOperator: fc.oneof(
            fc.constantFrom('GREATER', 'GREATER_OR_EQUAL', 'LESS', 'LESS_OR_EQUAL', 'EQUAL', 'NOT_EQUAL'),
            fc.string(),
          ),
          threshold: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.string(), fc.constant('1e999')),
        }),
      }),
      alarmCapabilities: fc.record({
        acknowledgeFlow: fc.option(fc.record({ enabled: fc.boolean() }), { nil: undefined }),
        initializationConfiguration: fc.record({ disabledOnInitialization: fc.boolean() }),
      }),
    },
    { requiredKeys: ['alarmModelName', 'alarmRule'] },
  );

  it('gives a profile the validator accepts, or a not-supported line and no profile', () => {
    fc.assert(
      fc.property(documentArb, (document) => {
        const mapped = mapAlarmModel(document as AlarmModelSource, DEFAULT_SEVERITY_MAP);
        if (mapped.rules === undefined) {
          expect(mapped.lines.some((line) => line.status === 'not supported')).toBe(true);
        } else {
          expect(checkProfiles([{ PrinterId: 'P1', ...mapped.rules }]).ok).toBe(true);
          expect(mapped.lines.every((line) => line.model === document.alarmModelName)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
