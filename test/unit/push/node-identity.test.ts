import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DuplicateIdentityError } from '../../../src/errors.js';
import { claimIdentity, drawIncarnation, IdentityWatch, type StoredIncarnation } from '../../../src/push/node-identity.js';

describe('claimIdentity', () => {
  it('refuses a live identity, allows another one and the same after release', () => {
    const release = claimIdentity('/metrics/job/j/role/server/instance/rep_3');
    expect(() => claimIdentity('/metrics/job/j/role/server/instance/rep_3')).toThrow(DuplicateIdentityError);
    const neighbour = claimIdentity('/metrics/job/j/role/server/instance/rep_4');
    release();
    release(); // twice is harmless
    const again = claimIdentity('/metrics/job/j/role/server/instance/rep_3');
    again();
    neighbour();
  });
});

describe('drawIncarnation', () => {
  it('draws distinct positive integers exact as float64', () => {
    const drawn = new Set(Array.from({ length: 1000 }, drawIncarnation));
    expect(drawn.size).toBe(1000);
    for (const value of drawn) expect(Number.isSafeInteger(value) && value > 0).toBe(true);
  });
});

describe('IdentityWatch', () => {
  // The watch's reads are timers inside its interval: fake time runs them in order, at once.
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const flush = () => vi.advanceTimersByTimeAsync(30);

  function watch(answers: StoredIncarnation[]) {
    const events: string[] = [];
    let reads = 0;
    const watcher = new IdentityWatch({
      incarnation: 7,
      intervalSeconds: 0.01,
      read: async () => {
        reads += 1;
        return answers.shift() ?? { kind: 'found', value: 7 };
      },
      onDuplicate: (stored) => events.push(`duplicate ${stored}`),
      onTooLarge: () => events.push('too large'),
    });
    return { watcher, events, reads: () => reads };
  }

  it('reads back only on its start-up schedule, and reports another incarnation once', async () => {
    const { watcher, events, reads } = watch([{ kind: 'found', value: 7 }, { kind: 'absent' }, { kind: 'found', value: 9 }]);
    for (let push = 1; push <= 40; push += 1) {
      watcher.afterPush();
      await flush();
    }
    expect(events).toEqual(['duplicate 9']);
    expect(reads()).toBe(3); // stops reading once it found the other writer
  });

  it('never reports its own incarnation, and reads at most twelve times', async () => {
    const { watcher, events, reads } = watch([]);
    for (let push = 1; push <= 400; push += 1) {
      watcher.afterPush();
      if (push <= 40) await flush(); // a read is due at most once per push; none after the 32nd
    }
    await flush();
    expect(events).toEqual([]);
    expect(reads()).toBe(12);
  });

  it('gives up on a gateway too large to read back, and stop() cancels a pending read', async () => {
    const large = watch([{ kind: 'too_large' }]);
    for (let push = 1; push <= 20; push += 1) {
      large.watcher.afterPush();
      await flush();
    }
    expect(large.events).toEqual(['too large']);
    expect(large.reads()).toBe(1);

    const stopped = watch([{ kind: 'found', value: 9 }]);
    stopped.watcher.afterPush();
    stopped.watcher.afterPush();
    stopped.watcher.stop();
    await flush();
    expect(stopped.reads()).toBe(0);
    expect(stopped.events).toEqual([]);
  });
});
