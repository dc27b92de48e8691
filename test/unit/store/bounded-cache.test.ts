// BoundedCache: least recently used out once the summed cost passes the bound, entries larger
// than the bound never kept, and fills from a disk read refused after a set or delete raced them.
import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../../src/store/level/bounded-cache.js';

describe('BoundedCache', () => {
  it('keeps the summed cost within the bound, dropping the least recently used first', () => {
    const cache = new BoundedCache<string, number>(10);
    cache.set('a', 1, 4);
    cache.set('b', 2, 4);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('c', 3, 4);
    expect(cache.cost).toBe(8);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('never keeps an entry costing more than the whole bound, and replacing an entry recounts its cost', () => {
    const cache = new BoundedCache<string, string>(10);
    cache.set('big', 'x', 11);
    expect(cache.has('big')).toBe(false);
    cache.set('k', 'v1', 6);
    cache.set('k', 'v2', 3);
    expect(cache.cost).toBe(3);
    expect(cache.get('k')).toBe('v2');
  });

  it('refuses a fill whose read started before a set or delete, accepts one with nothing in between', () => {
    const cache = new BoundedCache<string, string>(10);
    const beforeDelete = cache.generation;
    cache.delete('k');
    cache.fill('k', 'old', 1, beforeDelete);
    expect(cache.has('k')).toBe(false);

    const beforeSet = cache.generation;
    cache.set('k', 'new', 1);
    cache.fill('k', 'old', 1, beforeSet);
    expect(cache.get('k')).toBe('new');

    const quiet = cache.generation;
    cache.fill('other', 'read', 1, quiet);
    expect(cache.get('other')).toBe('read');
  });

  it('clear drops everything and refuses fills started before it', () => {
    const cache = new BoundedCache<string, number>(10);
    cache.set('a', 1, 2);
    const before = cache.generation;
    cache.clear();
    cache.fill('a', 1, 2, before);
    expect(cache.size).toBe(0);
    expect(cache.cost).toBe(0);
  });
});
