/**
 * The AWS IoT Data Plane adapter: publishes anomaly events with QoS 1. The
 * client is passed in (created once per container by the handler); the local
 * twin serves the same API through an endpoint override.
 */
import { PublishCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { AnomalyEvent, EventPublisher } from './processor.ts';

/** {@link EventPublisher} through `iot-data:Publish`. */
export class IotDataEventPublisher implements EventPublisher {
  constructor(
    private readonly client: IoTDataPlaneClient,
    private readonly topic: string,
  ) {}

  async publish(event: AnomalyEvent): Promise<void> {
    await this.client.send(
      new PublishCommand({
        topic: this.topic,
        qos: 1,
        contentType: 'application/json',
        payload: Buffer.from(JSON.stringify(event)),
      }),
    );
  }
}
