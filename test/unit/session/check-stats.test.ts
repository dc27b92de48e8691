// CheckStats: how producers answer checks, and the ranks the check scheduler gives
// chooseCheckTarget — answered first, untried next, then those that let checks time out, the
// more timeouts in a row the further back; an answer restores a producer; forget drops it.
import { describe, expect, it } from 'vitest';
import { RANK_ANSWERED, RANK_UNTRIED } from '../../../src/domain/transactions.js';
import { CheckStats } from '../../../src/session/check-stats.js';

describe('CheckStats', () => {
  it('ranks answered, untried and demoted producers, and counts a timeout only once its deadline passed', () => {
    const stats = new CheckStats();
    stats.sent('silent', 'TX1', 0, 1000);
    stats.sent('honest', 'TX2', 0, 1000);
    stats.answered('honest', 'TX2', 500);
    expect(stats.expire(999)).toEqual([]);
    expect(stats.expire(1000)).toEqual(['silent']);
    stats.sent('silent', 'TX3', 1000, 1000);
    expect(stats.expire(2000)).toEqual(['silent']);
    expect(stats.ranks(['honest', 'new', 'silent'])).toEqual({ honest: RANK_ANSWERED, new: RANK_UNTRIED, silent: RANK_UNTRIED + 2 });
    expect(stats.get('silent')).toMatchObject({ timeouts: 2, timeoutsInARow: 2, answered: 0 });
  });

  it('an answer (to any check, from any connection) restores a demoted producer; an answered check never times out', () => {
    const stats = new CheckStats();
    stats.sent('p', 'TX1', 0, 1000);
    stats.expire(1000);
    stats.sent('p', 'TX2', 1000, 1000);
    stats.answered('p', 'TX2', 1500);
    expect(stats.expire(5000)).toEqual([]);
    expect(stats.ranks(['p'])).toEqual({ p: RANK_ANSWERED });
    expect(stats.get('p')).toMatchObject({ answered: 1, timeouts: 1, timeoutsInARow: 0 });
  });

  it('forgets a client that went away, with its outstanding checks', () => {
    const stats = new CheckStats();
    stats.sent('gone', 'TX1', 0, 1000);
    stats.forget('gone');
    expect(stats.expire(10_000)).toEqual([]);
    expect(stats.get('gone')).toBeUndefined();
  });
});
