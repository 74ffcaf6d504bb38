/**
 * The topic rule's Lambda action: the twin subscribes the rule's topic filter
 * on the broker, and each message the rule matches becomes one asynchronous
 * invocation. A payload the rule cannot turn into an event (not JSON) never
 * reaches the function, as AWS IoT's Lambda action does not take binary
 * payloads: it is logged and counted instead.
 */
import type { Aedes, AedesPublishPacket } from 'aedes';
import type { AsyncInvoker } from './async-invoker.ts';
import { evaluateRule, type TopicRule } from './rule.ts';

/** An enabled rule; `disable` stops it taking messages. */
export interface RuleAction {
  disable(): Promise<void>;
}

/** Subscribes `rule` on the broker, handing what it matches to `invoker`. */
export async function enableRuleAction(
  aedes: Aedes,
  rule: TopicRule,
  invoker: AsyncInvoker,
  log: (line: string) => void,
): Promise<RuleAction> {
  const deliver = (packet: AedesPublishPacket, callback: () => void) => {
    try {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      // aedes stamps the publishing client's id on the packet it hands to subscribers.
      const clientId = (packet as AedesPublishPacket & { clientId?: string }).clientId;
      const evaluation = evaluateRule(rule, packet.topic, payload, clientId);
      if (!evaluation.matched) return;
      if (evaluation.ok) {
        invoker.submit(packet.topic, evaluation.event);
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
      invoker.refuse(packet.topic);
    } finally {
      callback();
    }
  };
  await new Promise<void>((subscribed) => aedes.subscribe(rule.topicFilter, deliver, subscribed));
  return {
    disable: () => new Promise<void>((done) => aedes.unsubscribe(rule.topicFilter, deliver, done)),
  };
}
