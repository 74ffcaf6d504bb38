/**
 * The topic rule's action: the twin subscribes the rule's topic filter on the
 * broker, and hands each message the rule matches to the ingest path: one
 * asynchronous invocation (the Lambda action, `async-invoker.ts`), or one
 * record on the reading stream (the Kinesis action, `stream-ingest.ts`),
 * whose put the broker's PUBACK waits for. A payload the rule cannot turn
 * into an event (not JSON) never reaches the function, as AWS IoT's Lambda
 * action does not take binary payloads: it is logged and counted instead.
 */
import type { Aedes, AedesPublishPacket } from 'aedes';
import { randomUUID } from 'node:crypto';
import { isRecord } from '../common/guards.ts';
import type { RuleErrorMessage } from './dead-letters.ts';
import { evaluateRule, type TopicRule } from './rule.ts';

/** What a target's `submit` returns (or resolves to) when its action failed: the rule then runs its error action. */
export interface ActionFailed {
  readonly actionFailed: string;
}

const isActionFailed = (value: unknown): value is ActionFailed => isRecord(value) && typeof value['actionFailed'] === 'string';

/** Where the rule's action hands messages. */
export interface RuleTarget {
  /** A matched message; a returned promise holds the message's PUBACK until it settles. */
  submit(topic: string, event: unknown, json: string): unknown;
  /** A message the rule matched but could not turn into an event. */
  refuse(topic: string): unknown;
}

/** The rule's error action: where a message goes whose action failed (docs/design.md, "The local twin"). */
export interface RuleErrorAction {
  readonly ruleName: string;
  /** The action as the error message names it (`LambdaAction`, `KinesisAction`), and its resource. */
  readonly failedAction: string;
  readonly failedResource: string;
  send(message: RuleErrorMessage): unknown;
}

/** An enabled rule; `disable` stops it taking messages. */
export interface RuleAction {
  disable(): Promise<void>;
}

/** Subscribes `rule` on the broker, handing what it matches to `target`. */
export async function enableRuleAction(
  aedes: Aedes,
  rule: TopicRule,
  target: RuleTarget,
  log: (line: string) => void,
  errorAction?: RuleErrorAction,
): Promise<RuleAction> {
  /** Sends the message to the error action, as AWS IoT does when an action fails. */
  const failed = (topic: string, payload: Uint8Array, clientId: string | undefined, errorMessage: string) =>
    errorAction?.send({
      ruleName: errorAction.ruleName,
      topic,
      cloudwatchTraceId: randomUUID(),
      // A message the broker itself published has no client.
      clientId: clientId ?? 'N/A',
      base64OriginalPayload: Buffer.from(payload).toString('base64'),
      failures: [{ failedAction: errorAction.failedAction, failedResource: errorAction.failedResource, errorMessage }],
    });
  const deliver = (packet: AedesPublishPacket, callback: () => void) => {
    let pending: unknown;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    // aedes stamps the publishing client's id on the packet it hands to subscribers.
    const clientId = (packet as AedesPublishPacket & { clientId?: string }).clientId;
    try {
      const evaluation = evaluateRule(rule, packet.topic, payload, clientId);
      if (!evaluation.matched) return;
      if (evaluation.ok) {
        pending = target.submit(packet.topic, evaluation.event, evaluation.json);
        return;
      }
      log(
        JSON.stringify({
          level: 'ERROR',
          message: `topic rule: ${evaluation.reason}`,
          timestamp: new Date().toISOString(),
          service: 'local-iot-rule',
          topic: packet.topic,
          payloadBytes: payload.byteLength,
        }),
      );
      target.refuse(packet.topic);
      failed(packet.topic, payload, clientId, evaluation.reason);
    } finally {
      const settled = (outcome: unknown) => {
        if (isActionFailed(outcome)) failed(packet.topic, payload, clientId, outcome.actionFailed);
        callback();
      };
      if (pending instanceof Promise) pending.then(settled, () => callback());
      else settled(pending);
    }
  };
  await new Promise<void>((subscribed) => aedes.subscribe(rule.topicFilter, deliver, subscribed));
  return {
    disable: () => new Promise<void>((done) => aedes.unsubscribe(rule.topicFilter, deliver, done)),
  };
}
