// Owns subscription filters: FilterExpression (tags like "TagA||TagB", or SQL92) and subscription maps.
import { IllegalArgumentException } from './errors.js';
import { OfficialFilterExpression, PbFilterType } from './official.js';
import { checkTopic } from './validation.js';

export enum FilterExpressionType {
  /** "*" (all), "TagA", or "TagA||TagB". */
  TAG = 'TAG',
  /** SQL92 over message properties, if the broker supports it. */
  SQL92 = 'SQL92',
}

export class FilterExpression {
  /** Every message of the topic. */
  static readonly SUB_ALL = new FilterExpression('*');

  readonly expression: string;
  readonly type: FilterExpressionType;

  constructor(expression = '*', type: FilterExpressionType = FilterExpressionType.TAG) {
    if (typeof expression !== 'string' || expression.trim() === '') {
      throw new IllegalArgumentException('filter expression must be a non-blank string ("*" for everything)');
    }
    if (type !== FilterExpressionType.TAG && type !== FilterExpressionType.SQL92) {
      throw new IllegalArgumentException(`filter expression type must be TAG or SQL92, got ${String(type)}`);
    }
    this.expression = expression;
    this.type = type;
    Object.freeze(this);
  }

  toString(): string {
    return `${this.type}(${this.expression})`;
  }
}

/** Validates a topic → filter map and copies it. */
export function checkSubscriptions(subscriptions: unknown): Map<string, FilterExpression> {
  if (!(subscriptions instanceof Map) || subscriptions.size === 0) {
    throw new IllegalArgumentException(
      'subscription expressions must be a non-empty Map of topic → FilterExpression, e.g. new Map([["Orders", new FilterExpression("paid")]])',
    );
  }
  const out = new Map<string, FilterExpression>();
  for (const [topic, filter] of subscriptions as Map<unknown, unknown>) {
    checkTopic(topic, 'subscribed topic');
    if (!(filter instanceof FilterExpression)) {
      throw new IllegalArgumentException(`subscription of topic "${String(topic)}" must be a FilterExpression`);
    }
    out.set(topic as string, filter);
  }
  return out;
}

export function toOfficialFilter(filter: FilterExpression): OfficialFilterExpression {
  return new OfficialFilterExpression(filter.expression, filter.type === FilterExpressionType.SQL92 ? PbFilterType.SQL : PbFilterType.TAG);
}

export function toOfficialSubscriptions(subscriptions: ReadonlyMap<string, FilterExpression>): Map<string, OfficialFilterExpression> {
  return new Map([...subscriptions].map(([topic, filter]) => [topic, toOfficialFilter(filter)]));
}
