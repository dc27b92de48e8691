// Owns the TAG filter of a subscription: parsing RocketMQ's 'TagA||TagB' expressions and
// matching a message's tag against them.
import { Code } from './codes.js';
import { BrokerError } from './errors.js';

/** Tag filter: '*' accepts everything; otherwise the tag must be one of `tags`. */
export type TagFilter = { kind: 'all' } | { kind: 'tags'; tags: ReadonlySet<string> };

const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

/** Parses a TAG filter expression: '*' or empty = all; otherwise 'a||b||c'. */
export function parseTagExpression(expression: string): TagFilter {
  const trimmed = expression.trim();
  if (trimmed === '' || trimmed === '*') return { kind: 'all' };
  const tags = trimmed.split('||').map((t) => t.trim());
  if (tags.some((t) => t === '' || CONTROL_CHARS.test(t))) {
    throw new BrokerError(Code.ILLEGAL_FILTER_EXPRESSION, `tag expression "${expression}" is illegal: use '*' or tags joined by '||', e.g. 'TagA||TagB'`);
  }
  return { kind: 'tags', tags: new Set(tags) };
}

export function matchesFilter(filter: TagFilter, tag: string | undefined): boolean {
  if (filter.kind === 'all') return true;
  return tag !== undefined && filter.tags.has(tag);
}
