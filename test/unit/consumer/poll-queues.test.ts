// PollQueues: the appends of one moment wake the first waiting poll of each group of the topic,
// not every poll; a hand-off wakes the next one; removed polls are forgotten.
import { describe, expect, it } from 'vitest';
import { PollQueues } from '../../../src/consumer/poll-queues.js';
import { InProcessEventBus } from '../../../src/runtime/event-bus.js';

/** Lets queued microtasks (the coalesced wake-up) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const events = new InProcessEventBus();
  const polls = new PollQueues(events);
  const woken: string[] = [];
  const add = (topic: string, group: string, name: string) => polls.add(topic, group, () => woken.push(name));
  return { events, polls, woken, add };
}

describe('PollQueues', () => {
  it('wakes the first poll of each group once for the appends of one moment', async () => {
    const { events, woken, add } = setup();
    add('T', 'g1', 'a');
    add('T', 'g1', 'b');
    add('T', 'g2', 'c');
    add('U', 'g1', 'd');
    events.emit('appended', 'T');
    events.emit('appended', 'T');
    await settle();
    expect(woken).toEqual(['a', 'c']);
    // The woken ones left their queues: the next append goes to the next poll.
    events.emit('appended', 'T');
    await settle();
    expect(woken).toEqual(['a', 'c', 'b']);
    events.emit('appended', 'T');
    await settle();
    expect(woken).toEqual(['a', 'c', 'b']);
  });

  it('hands a wake-up on to the next poll of the group, and puts a poll that waits again at the end', async () => {
    const { events, polls, woken, add } = setup();
    const a = add('T', 'g', 'a');
    add('T', 'g', 'b');
    polls.handOff('T', 'g');
    expect(woken).toEqual(['a']);
    polls.enqueue(a);
    events.emit('appended', 'T');
    await settle();
    expect(woken).toEqual(['a', 'b']);
    polls.handOff('T', 'g');
    expect(woken).toEqual(['a', 'b', 'a']);
    polls.handOff('T', 'g');
    polls.handOff('T', 'other');
    expect(woken).toEqual(['a', 'b', 'a']);
  });

  it('forgets removed polls, and wakes a poll queued after the last one left', async () => {
    const { events, polls, woken, add } = setup();
    const a = add('T', 'g', 'a');
    const b = add('T', 'g', 'b');
    polls.remove(a);
    polls.remove(a);
    events.emit('appended', 'T');
    await settle();
    expect(woken).toEqual(['b']);
    polls.remove(b);
    events.emit('appended', 'T');
    await settle();
    expect(woken).toEqual(['b']);
    add('T', 'g', 'c');
    events.emit('appended', 'T');
    await settle();
    expect(woken).toEqual(['b', 'c']);
  });
});
