/** What a container remembers of its deliveries: the latest `capacity` request tags, oldest first out. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryMemory } from '../../lambda/delivery-memory.ts';

describe('DeliveryMemory', () => {
  it('holds exactly the latest `capacity` distinct tags added (a re-added tag keeps its first place)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'), { maxLength: 40 }),
        (capacity, tags) => {
          const memory = new DeliveryMemory(capacity);
          // Model: insertion order of first adds, oldest dropped beyond the capacity.
          let model: string[] = [];
          for (const tag of tags) {
            memory.add(tag);
            if (!model.includes(tag)) model = [...model, tag].slice(-capacity);
          }
          for (const tag of new Set(tags)) expect(memory.has(tag)).toBe(model.includes(tag));
        },
      ),
    );
  });
});
