/**
 * The AWS IoT Data Plane adapter: publishes anomaly events and alarm
 * transitions with QoS 1. The
 * client is passed in (created once per container by the handler), or a
 * factory that creates it: anomaly events are a few percent of readings, so
 * the handler loads `@aws-sdk/client-iot-data-plane` only on the first publish
 * (once per container, then cached), which keeps it out of the cold start.
 * The local twin serves the same API through an endpoint override.
 */
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { type AlarmTransitionPayload, type AnomalyEvent, alarmTopic } from '../../contract/index.ts';
import type { MqttPublisher } from '../ports.ts';

/** A client, or a factory called once, on the first publish. */
export type IotDataClientSource = IoTDataPlaneClient | (() => IoTDataPlaneClient | Promise<IoTDataPlaneClient>);

type PublishCommandClass = typeof import('@aws-sdk/client-iot-data-plane').PublishCommand;

/** Loaded on first use; shared by every publisher of the container. */
let publishCommand: Promise<PublishCommandClass> | undefined;
const loadPublishCommand = (): Promise<PublishCommandClass> =>
  (publishCommand ??= import('@aws-sdk/client-iot-data-plane').then(
    (m) => m.PublishCommand,
    (error: unknown) => {
      publishCommand = undefined; // a later publish tries again
      throw error;
    },
  ));

/** {@link MqttPublisher} through `iot-data:Publish`. */
export class IotDataEventPublisher implements MqttPublisher {
  private client: Promise<IoTDataPlaneClient> | undefined;

  constructor(
    private readonly source: IotDataClientSource,
    private readonly topic: string,
  ) {
    if (typeof source !== 'function') this.client = Promise.resolve(source);
  }

  private getClient(): Promise<IoTDataPlaneClient> {
    if (this.client) return this.client;
    const created = Promise.resolve().then(() => (this.source as () => IoTDataPlaneClient | Promise<IoTDataPlaneClient>)());
    this.client = created;
    created.catch(() => {
      if (this.client === created) this.client = undefined; // a later publish tries again
    });
    return created;
  }

  publishEvent(event: AnomalyEvent): Promise<void> {
    return this.send(this.topic, event);
  }

  publishTransition(transition: AlarmTransitionPayload): Promise<void> {
    return this.send(alarmTopic(transition.PrinterId), transition);
  }

  private async send(topic: string, payload: unknown): Promise<void> {
    const [client, PublishCommand] = await Promise.all([this.getClient(), loadPublishCommand()]);
    await client.send(
      new PublishCommand({
        topic,
        qos: 1,
        contentType: 'application/json',
        payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
  }
}
