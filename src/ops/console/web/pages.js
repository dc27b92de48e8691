// The console's pages for the broker's resources: overview (brokers, counts, the rate chart),
// topics (create, delete), consumer groups (per-topic lag, reset offset) and connected clients.
// Each page builds its forms once and returns refresh(), which reloads its data.
import { del, get, post } from './api.js';
import { drawRates, SERIES } from './chart.js';
import { age, duration, fields, h, num, table, time } from './dom.js';

function card(label, value, id, warn = false) {
  return h('div', { class: 'card', 'data-card': id }, h('div', { class: 'label' }, label), h('div', { class: `value${warn ? ' warn' : ''}` }, value));
}

export function overviewPage(root) {
  const cards = h('div', { class: 'cards' });
  const canvas = h('canvas', { id: 'rates', width: 900, height: 220 });
  const brokers = h('div');
  const note = h('p', { class: 'note' });
  root.append(
    h('h1', {}, 'Overview'),
    cards,
    h(
      'div',
      { class: 'panel' },
      h('h2', { class: 'flush' }, 'Traffic'),
      canvas,
      h(
        'div',
        { class: 'legend' },
        SERIES.map((s) => h('span', {}, h('i', { class: s.cls }), s.label)),
      ),
      note,
    ),
    h('h2', {}, 'Brokers'),
    brokers,
  );
  return {
    async refresh() {
      const o = await get('overview');
      const t = o.transactions;
      const last = o.traffic.rates[o.traffic.rates.length - 1];
      cards.replaceChildren(
        card('Brokers', o.brokers.length, 'brokers'),
        card('Topics', o.topics, 'topics'),
        card('Groups', o.groups, 'groups'),
        card('Clients', o.clients, 'clients'),
        card('Pending transactions', t.pending, 'pending', t.pending > 0),
        card('Abandoned', t.abandoned, 'abandoned', t.abandoned > 0),
        card('Pending, no producer', t.pendingWithoutProducer, 'no-producer', t.pendingWithoutProducer > 0),
        card('Checks/s', last ? last.checksPerSec.toFixed(1) : '–', 'checks'),
        card('Committed', t.committed, 'committed'),
        card('Rolled back', t.rolledBack, 'rolled-back'),
      );
      drawRates(canvas, o.traffic.rates);
      note.textContent = `One sample every ${duration(o.traffic.intervalMs)}; ${o.store === 'postgresql' ? 'totals of the whole cluster (shared PostgreSQL store)' : 'one broker (LevelDB store)'}.`;
      brokers.replaceChildren(
        table(
          ['Broker', 'Endpoint'],
          o.brokers.map((b) => h('tr', {}, h('td', {}, b.name), h('td', { class: 'mono' }, b.endpoint))),
        ),
      );
    },
  };
}

export function topicsPage(root, ctx) {
  const list = h('div');
  const form = h(
    'form',
    { class: 'inline panel', id: 'create-topic' },
    h('label', {}, 'Name', h('input', { name: 'name', required: true, placeholder: 'orders' })),
    h(
      'label',
      {},
      'Type',
      h(
        'select',
        { name: 'messageType' },
        ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'].map((t) => h('option', {}, t)),
      ),
    ),
    h(
      'label',
      {},
      'Check policy (transactions)',
      h('select', { name: 'checkPolicy' }, h('option', { value: '' }, 'broker default'), h('option', {}, 'ROLLBACK'), h('option', {}, 'KEEP')),
    ),
    h('button', { class: 'primary', type: 'submit' }, 'Create topic'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = fields(form);
    void ctx.adminAction(`Create ${f.messageType} topic ${f.name}?`, () => post('topics', f), `Topic ${f.name} created`).then(() => form.reset());
  });
  root.append(h('h1', {}, 'Topics'), form, list);
  return {
    async refresh() {
      const { topics } = await get('topics');
      list.replaceChildren(
        table(
          ['Topic', 'Type', { num: 'Queues' }, { num: 'Min offset' }, { num: 'Max offset' }, { num: 'Messages' }, 'Retention', 'Created', ''],
          topics.map((t) =>
            h(
              'tr',
              { 'data-topic': t.name },
              h('td', {}, t.name),
              h('td', {}, t.messageType, t.checkPolicy ? h('div', { class: 'note' }, `checks: ${t.checkPolicy}`) : null),
              num(t.queues.length),
              num(t.queues.length ? Math.min(...t.queues.map((q) => q.minOffset)) : 0),
              num(t.queues.reduce((n, q) => Math.max(n, q.maxOffset), 0)),
              num(t.messages),
              h('td', {}, duration(t.retentionMs), t.retentionBytesPerQueue ? ` / ${t.retentionBytesPerQueue.toLocaleString('en-US')} B per queue` : ''),
              h('td', {}, time(t.createdAtMs)),
              h(
                'td',
                {},
                h(
                  'button',
                  {
                    class: 'small',
                    onclick: () =>
                      void ctx.adminAction(`Delete topic ${t.name} and all its messages?`, () => del(`topics/${encodeURIComponent(t.name)}`), `Topic ${t.name} deleted`),
                  },
                  'Delete',
                ),
              ),
            ),
          ),
          'No topics yet: create one above.',
        ),
      );
    },
  };
}

export function groupsPage(root, ctx) {
  const list = h('div');
  const form = h(
    'form',
    { class: 'inline panel', id: 'reset-offset' },
    h('label', {}, 'Group', h('input', { name: 'group', required: true })),
    h('label', {}, 'Topic', h('input', { name: 'topic', required: true })),
    h('label', {}, 'To (earliest, latest, ISO time, epoch ms)', h('input', { name: 'to', required: true, value: 'latest' })),
    h('button', { type: 'submit' }, 'Reset offset'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = fields(form);
    void ctx.adminAction(
      `Move group ${f.group} in topic ${f.topic} to ${f.to}? Its in-flight deliveries there are dropped.`,
      () => post(`groups/${encodeURIComponent(f.group)}/reset-offset`, { topic: f.topic, to: f.to }),
      `Group ${f.group} moved to ${f.to} in ${f.topic}`,
    );
  });
  const prefill = (group, topic) => {
    form.elements.group.value = group;
    form.elements.topic.value = topic;
    form.elements.to.focus();
  };
  root.append(h('h1', {}, 'Consumer groups'), list, h('h2', {}, 'Reset an offset'), form);
  return {
    async refresh() {
      const { groups } = await get('groups');
      list.replaceChildren(
        table(
          ['Group', 'Topic', { num: 'Consumed offset' }, { num: 'Lag' }, { num: 'In flight' }, { num: 'DLQ' }, { num: 'Consumers online' }, 'Settings', ''],
          groups.flatMap((g) => {
            const rows = g.progress.length ? g.progress : [{ topic: '–', consumedOffset: '–', lag: g.lag, inFlight: g.inFlight }];
            return rows.map((p, i) =>
              h(
                'tr',
                { 'data-group': g.name, 'data-topic': p.topic },
                h('td', {}, i === 0 ? g.name : ''),
                h('td', {}, p.topic),
                num(p.consumedOffset),
                num(p.lag),
                num(p.inFlight),
                i === 0 ? num(g.deadLetters) : h('td'),
                i === 0 ? num(g.clientsOnline) : h('td'),
                h('td', { class: 'note' }, i === 0 ? `${g.fifo ? 'FIFO, ' : ''}${g.maxDeliveryAttempts} attempts, DLQ ${g.deadLetterTopic}` : ''),
                h('td', {}, p.topic === '–' ? null : h('button', { class: 'small', 'data-action': 'prefill-reset', onclick: () => prefill(g.name, p.topic) }, 'Reset…')),
              ),
            );
          }),
          'No consumer groups yet: they appear when a consumer first uses one.',
        ),
      );
    },
  };
}

export function clientsPage(root) {
  const list = h('div');
  root.append(
    h('h1', {}, 'Clients'),
    h('p', { class: 'note' }, 'Clients seen by this broker over Telemetry and their calls; with several brokers, each lists the clients it holds a stream of.'),
    list,
  );
  return {
    async refresh() {
      const { clients } = await get('clients');
      list.replaceChildren(
        table(
          ['Client id', 'Type', 'Group', 'Topics', 'Telemetry stream', 'Last seen'],
          clients.map((c) =>
            h(
              'tr',
              { 'data-client': c.clientId },
              h('td', { class: 'mono' }, c.clientId),
              h('td', {}, c.clientType.replace('CLIENT_TYPE_UNSPECIFIED', 'unknown')),
              h('td', {}, c.group || '–'),
              h('td', {}, c.topics.join(', ') || '–'),
              h('td', {}, c.streamOpen ? 'open' : 'none'),
              h('td', {}, `${age(c.lastSeenMs)} ago`),
            ),
          ),
          'No clients connected.',
        ),
      );
    },
  };
}
