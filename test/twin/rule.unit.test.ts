import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECT_TOPIC, RULE_SQL, RULE_SQL_VERSION, ruleSql, SENDER_FIELD } from '../../contract/index.ts';
import { evaluateRule, parseRuleSql, RuleSqlError, topicFilterProblem, topicMatches } from '../../twin/rule.ts';

describe('the twin parses the shared rule SQL', () => {
  it("reads the stack's own rule: SELECT * FROM 'anom/detect'", () => {
    expect(parseRuleSql(RULE_SQL, RULE_SQL_VERSION)).toEqual({ sql: RULE_SQL, sqlVersion: RULE_SQL_VERSION, topicFilter: DETECT_TOPIC });
  });

  it('accepts keywords in any case, extra spaces and wildcard filters', () => {
    expect(parseRuleSql("  select   *  from  'printers/+/telemetry'  ").topicFilter).toBe('printers/+/telemetry');
    expect(parseRuleSql("SELECT * FROM 'anom/#'").topicFilter).toBe('anom/#');
  });

  it.each([
    ["SELECT * FROM 'anom/detect' WHERE data.value > 80"],
    ["SELECT PrinterId, data.value AS value FROM 'anom/detect'"],
    ["SELECT *, timestamp() AS ts FROM 'anom/detect'"],
    ["SELECT encode(*, 'base64') AS data FROM 'anom/detect'"],
    ['SELECT * FROM anom/detect'],
    ["SELECT * FROM 'anom/detect'; DROP TABLE x"],
    [''],
  ])('rejects what it cannot evaluate exactly as AWS IoT does: %s', (sql) => {
    expect(() => parseRuleSql(sql)).toThrow(RuleSqlError);
    expect(() => parseRuleSql(sql)).toThrow(/extend twin\/rule\.ts/);
  });

  it('rejects an SQL version whose semantics it does not reproduce', () => {
    expect(() => parseRuleSql(RULE_SQL, '2015-10-08')).toThrow(/SQL version 2016-03-23 only/);
  });

  it.each([
    ['', /empty/],
    ['anom/#/x', /"#" must be a whole level and the last one/],
    ['anom/de#', /"#"/],
    ['anom/+x', /"\+" must be a whole level/],
  ])('rejects the invalid topic filter %j', (filter, reason) => {
    expect(topicFilterProblem(filter)).toMatch(reason);
    expect(() => parseRuleSql(`SELECT * FROM '${filter}'`)).toThrow(RuleSqlError);
  });
});

describe('topic filters match as in MQTT 3.1.1', () => {
  it.each([
    ['anom/detect', 'anom/detect', true],
    ['anom/detect', 'anom/detect/x', false],
    ['anom/detect', 'anom/Detect', false],
    ['anom/+', 'anom/detect', true],
    ['anom/+', 'anom/detect/x', false],
    ['+/+', 'anom/detect', true],
    ['anom/#', 'anom', true],
    ['anom/#', 'anom/detect/deep', true],
    ['#', 'anom/detect', true],
    ['#', '$aws/events/presence', false],
    ['+/events/#', '$aws/events/x', false],
    ['$aws/events/#', '$aws/events/x', true],
    ['anom/+/x', 'anom//x', true],
  ])('%s on %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('evaluating the rule on a message', () => {
  const rule = parseRuleSql(RULE_SQL);

  it('hands a JSON payload to the function as it is (SELECT *)', () => {
    const payload = { PrinterId: 'Printer1', data: { value: 85.2 }, seq: 1 };
    const json = JSON.stringify(payload);
    expect(evaluateRule(rule, DETECT_TOPIC, Buffer.from(json))).toEqual({ matched: true, ok: true, event: payload, json });
    // JSON that is not an object still reaches the function, which rejects it as invalid.
    expect(evaluateRule(rule, DETECT_TOPIC, Buffer.from('42'))).toEqual({ matched: true, ok: true, event: 42, json: '42' });
  });

  it('does not invoke the function with a binary (non-JSON) payload, as the Lambda action cannot take one', () => {
    const evaluation = evaluateRule(rule, DETECT_TOPIC, Buffer.from('not json'));
    expect(evaluation).toMatchObject({ matched: true, ok: false });
    expect(evaluation.matched && !evaluation.ok && evaluation.reason).toMatch(/not JSON/);
  });

  it('ignores messages on other topics', () => {
    expect(evaluateRule(rule, 'anom/pred', Buffer.from('{}'))).toEqual({ matched: false });
  });
});

describe('the device identity rule', () => {
  const rule = parseRuleSql(ruleSql('thing'));
  const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('is the one form the twin evaluates besides SELECT *', () => {
    expect(rule).toMatchObject({ topicFilter: 'anom/detect', clientIdAs: SENDER_FIELD });
    expect(() => parseRuleSql(`SELECT *, clientid() AS a FROM 'anom/detect' WHERE isUndefined(b)`)).toThrow(RuleSqlError);
    expect(() => parseRuleSql(`SELECT *, clientid() AS a FROM 'anom/detect'`)).toThrow(RuleSqlError);
  });

  it("adds the sender's client id to the payload", () => {
    expect(evaluateRule(rule, 'anom/detect', bytes({ PrinterId: 'P1' }), 'P1')).toMatchObject({
      matched: true,
      ok: true,
      event: { PrinterId: 'P1', [SENDER_FIELD]: 'P1' },
    });
  });

  it('gives the event as JSON text that parses to the event, whatever the object and its spacing', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
        fc.constantFrom('', ' ', '\n\t '),
        fc.string({ minLength: 1 }),
        (payload, pad, sender) => {
          fc.pre(!Object.hasOwn(payload, SENDER_FIELD));
          const evaluation = evaluateRule(
            rule,
            'anom/detect',
            Buffer.from(`${pad}${JSON.stringify(payload, null, pad.length)}${pad}`),
            sender,
          );
          expect(evaluation.matched && evaluation.ok).toBe(true);
          if (evaluation.matched && evaluation.ok) expect(JSON.parse(evaluation.json)).toEqual(evaluation.event);
        },
      ),
    );
  });

  it('skips a payload that carries the field itself (a device cannot claim another identity)', () => {
    expect(evaluateRule(rule, 'anom/detect', bytes({ PrinterId: 'P2', [SENDER_FIELD]: 'P2' }), 'P1')).toEqual({ matched: false });
  });

  it('adds nothing for a message without a client (clientid() is Undefined)', () => {
    expect(evaluateRule(rule, 'anom/detect', bytes({ PrinterId: 'P1' }))).toEqual({
      matched: true,
      ok: true,
      event: { PrinterId: 'P1' },
      json: JSON.stringify({ PrinterId: 'P1' }),
    });
  });
});
