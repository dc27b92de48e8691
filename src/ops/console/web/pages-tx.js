// The console's transaction pages: the pending and abandoned list with filters (topic, producer
// group, key, age), each with its audit trail and commit / rollback / recheck buttons; and the
// message lookup by id or key (properties, body preview, the message's transaction).
import { get, post } from './api.js';
import { age, fields, h, num, state, table, time } from './dom.js';

export function trail(events) {
  return h(
    'ol',
    { class: 'trail' },
    events.map((e) => h('li', { 'data-kind': e.kind }, h('time', {}, time(e.atMs)), e.text)),
  );
}

export function transactionsPage(root, ctx) {
  const list = h('div');
  const form = h(
    'form',
    { class: 'inline panel', id: 'tx-filter' },
    h('label', {}, 'State', h('select', { name: 'state' }, h('option', { value: '' }, 'pending and abandoned'), h('option', {}, 'PENDING'), h('option', {}, 'ABANDONED'))),
    h('label', {}, 'Topic', h('input', { name: 'topic' })),
    h('label', {}, 'Producer group', h('input', { name: 'group' })),
    h('label', {}, 'Key', h('input', { name: 'key' })),
    h('label', {}, 'Older than (s)', h('input', { name: 'minAgeS', type: 'number', min: 0 })),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void ctx.refresh();
  });
  // Trails the operator opened stay open across refreshes.
  const expanded = new Set();
  const resolve = (tx, action) => {
    const what = { commit: 'Commit', rollback: 'Roll back', recheck: 'Check again' }[action];
    const question =
      action === 'recheck'
        ? `Ask the producers of ${tx.producerGroup} about transaction ${tx.transactionId} again?`
        : `${what} transaction ${tx.transactionId} of topic ${tx.topic}? ${action === 'commit' ? 'Its message becomes visible to consumers.' : 'Its message is discarded.'} The decision is final.`;
    void ctx.adminAction(
      question,
      () => post(`transactions/${encodeURIComponent(tx.transactionId)}/${action}`),
      `Transaction ${tx.transactionId} ${{ commit: 'committed', rollback: 'rolled back', recheck: 'checked again' }[action]}`,
    );
  };
  root.append(h('h1', {}, 'Transactions'), form, list);
  return {
    async refresh() {
      const f = fields(form);
      const q = new URLSearchParams();
      for (const k of ['state', 'topic', 'group', 'key']) if (f[k]) q.set(k, f[k]);
      if (f.minAgeS) q.set('minAgeMs', String(Math.round(Number(f.minAgeS) * 1000)));
      const { transactions } = await get(`transactions?${q}`);
      list.replaceChildren(
        table(
          ['Transaction', 'Topic', 'State', 'Producer group', 'Keys', 'Age', { num: 'Checks' }, 'Next check', 'Audit trail', ''],
          transactions.map((t) =>
            h(
              'tr',
              { 'data-transaction': t.transactionId },
              h('td', { class: 'mono' }, t.transactionId),
              h('td', {}, t.topic),
              h('td', {}, state(t.state)),
              h('td', {}, t.producerGroup),
              h('td', {}, t.keys.join(', ') || '–'),
              h('td', {}, age(t.receivedAtMs)),
              num(t.checkCount),
              h('td', {}, t.nextCheckAtMs ? time(t.nextCheckAtMs) : '–'),
              h(
                'td',
                {},
                h(
                  'details',
                  { open: expanded.has(t.transactionId), ontoggle: (e) => (e.target.open ? expanded.add(t.transactionId) : expanded.delete(t.transactionId)) },
                  h('summary', {}, `${t.trail.length} events`),
                  trail(t.trail),
                ),
              ),
              h(
                'td',
                { class: 'nowrap' },
                h('button', { class: 'small', 'data-action': 'commit', onclick: () => resolve(t, 'commit') }, 'Commit'),
                ' ',
                h('button', { class: 'small', 'data-action': 'rollback', onclick: () => resolve(t, 'rollback') }, 'Rollback'),
                t.state === 'ABANDONED' ? [' ', h('button', { class: 'small', 'data-action': 'recheck', onclick: () => resolve(t, 'recheck') }, 'Recheck')] : null,
              ),
            ),
          ),
          'No undecided transactions match.',
        ),
      );
    },
  };
}

function messageCard(m, heading) {
  const props = [
    ['Message id', m.messageId],
    ['Topic', m.topic],
    ['Type', m.messageType],
    ['Tag', m.tag || '–'],
    ['Keys', m.keys.join(', ') || '–'],
    ['Message group', m.messageGroup || '–'],
    ['Born', `${time(m.bornTimestampMs)} on ${m.bornHost || '?'}`],
    ['Stored', m.storeTimestampMs ? `${time(m.storeTimestampMs)}, queue ${m.queueId} offset ${m.offset}` : 'not yet (half message)'],
    ...(m.deliveryTimestampMs ? [['Deliver at', time(m.deliveryTimestampMs)]] : []),
    ...(m.deadLetter ? [['Dead letter of', `${m.deadLetter.topic} / ${m.deadLetter.messageId} (group ${m.deadLetter.group})`]] : []),
    ...Object.entries(m.properties).map(([k, v]) => [k, v]),
  ];
  const b = m.body;
  return h(
    'div',
    { class: 'panel', 'data-message': m.messageId },
    h('h2', { class: 'flush' }, heading),
    h(
      'table',
      {},
      h(
        'tbody',
        {},
        props.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { class: 'mono' }, v))),
      ),
    ),
    h('h2', {}, `Body (${b.size} bytes, ${b.format}${b.truncated ? ', first part' : ''})`),
    h('pre', { class: 'body', 'data-format': b.format }, b.preview),
    m.transaction
      ? [h('h2', {}, 'Transaction ', state(m.transaction.state), ` ${m.transaction.decidedBy ? `decided by ${m.transaction.decidedBy}` : ''}`), trail(m.transaction.trail)]
      : null,
    m.deliveries ? deliveryTable(m.deliveries) : null,
  );
}

/** Each delivery of a stored message per group: attempt, when, to which client, how it ended. */
function deliveryTable(deliveries) {
  if (deliveries.length === 0) return [h('h2', {}, 'Deliveries'), h('div', { class: 'empty' }, 'Not delivered to any group yet.')];
  return [
    h('h2', {}, 'Deliveries'),
    h(
      'table',
      { 'data-deliveries': '' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Group', 'Attempt', 'Delivered', 'Client', 'Outcome'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        deliveries.map((d) =>
          h(
            'tr',
            {},
            h('td', {}, d.group),
            h('td', {}, String(d.attempt)),
            h('td', {}, time(d.deliveredAtMs)),
            h('td', { class: 'mono' }, d.clientId || '–'),
            h('td', {}, state(d.outcome)),
          ),
        ),
      ),
    ),
  ];
}

export function messagesPage(root) {
  const out = h('div');
  const form = h(
    'form',
    { class: 'inline panel', id: 'message-lookup' },
    h('label', {}, 'Message id', h('input', { name: 'id' })),
    h('label', {}, 'or key', h('input', { name: 'key' })),
    h('label', {}, 'Topic (optional)', h('input', { name: 'topic' })),
    h('button', { class: 'primary', type: 'submit' }, 'Look up'),
  );
  let query = null;
  const load = async () => {
    if (!query) return;
    const r = await get(`messages?${query}`);
    out.replaceChildren(
      h(
        'div',
        {},
        h('p', { class: 'note' }, `${r.messages.length} stored, ${r.pending.length} undecided, ${r.rolledBack.length} rolled back.`),
        r.pending.map((m) => messageCard(m, 'Half message (transaction undecided)')),
        r.messages.map((m) => messageCard(m, `Message in ${m.topic}`)),
        r.messages.length + r.pending.length === 0 ? h('div', { class: 'panel empty' }, 'No message found.') : null,
      ),
    );
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = fields(form);
    const q = new URLSearchParams();
    for (const k of ['id', 'key', 'topic']) if (f[k]) q.set(k, f[k]);
    query = q.toString();
    load().catch((err) => out.replaceChildren(h('div', { class: 'panel empty' }, err.message)));
  });
  root.append(h('h1', {}, 'Messages'), form, out);
  // A lookup is not repeated by the refresh loop: it reads the logs.
  return { refresh: async () => undefined };
}
