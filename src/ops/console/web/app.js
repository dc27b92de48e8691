// The console's shell: hash routing between pages, the refresh loop (every few seconds while the
// tab is visible, paused while a dialog is open), toasts, the confirm dialog every admin action
// goes through, and the sign-in dialog shown when the broker answers 401.
import { credentials, setUnauthorizedHandler } from './api.js';
import { h } from './dom.js';
import { clientsPage, groupsPage, overviewPage, topicsPage } from './pages.js';
import { messagesPage, transactionsPage } from './pages-tx.js';

const REFRESH_MS = 3000;
const PAGES = { overview: overviewPage, topics: topicsPage, groups: groupsPage, transactions: transactionsPage, clients: clientsPage, messages: messagesPage };

function toast(text, error = false) {
  const el = h('div', { class: error ? 'error' : '' }, text);
  document.getElementById('toast').append(el);
  setTimeout(() => el.remove(), error ? 8000 : 4000);
}

/** Asks before an admin action; resolves true when confirmed. */
function confirmAction(text) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

/** Runs an admin call after confirmation, reports its outcome, refreshes the page. */
async function adminAction(question, call, done) {
  if (!(await confirmAction(question))) return;
  try {
    await call();
    toast(done);
  } catch (err) {
    toast(err.message, true);
  }
  await refresh();
}

// After a cancelled sign-in, refreshes stop asking until the operator clicks Sign in.
let declined = false;

function askCredentials({ userAsked = false } = {}) {
  if (declined && !userAsked) return Promise.resolve(false);
  declined = false;
  const dialog = document.getElementById('login');
  const form = document.getElementById('login-form');
  form.reset();
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) =>
    dialog.addEventListener(
      'close',
      () => {
        if (dialog.returnValue !== 'ok') {
          declined = true;
          return resolve(false);
        }
        const data = new FormData(form);
        credentials.set({ accessKey: String(data.get('accessKey')).trim(), secretKey: String(data.get('secretKey')) });
        showWho();
        resolve(true);
      },
      { once: true },
    ),
  );
}

function showWho() {
  const who = document.getElementById('who');
  const c = credentials.get();
  who.replaceChildren(
    c
      ? h('span', {}, `signed in as ${c.accessKey}`, h('button', { class: 'small', onclick: () => (credentials.set(null), showWho()) }, 'Sign out'))
      : h('button', { class: 'small', id: 'sign-in', onclick: () => void askCredentials({ userAsked: true }).then((ok) => ok && refresh()) }, 'Sign in'),
  );
}

let current;
let timer;

async function refresh() {
  clearTimeout(timer);
  const page = current;
  const busy = document.querySelector('dialog[open]');
  if (page && !busy && document.visibilityState !== 'hidden') {
    try {
      await page.refresh();
      page.root.querySelector('.error-line')?.remove();
    } catch (err) {
      page.root.querySelector('.error-line')?.remove();
      page.root.prepend(h('p', { class: 'note error-line' }, `Could not load: ${err.message}`));
    }
  }
  if (page === current) timer = setTimeout(() => void refresh(), REFRESH_MS);
}

function route() {
  const name = (location.hash.replace(/^#\/?/, '').split('?')[0] || 'overview').toLowerCase();
  const make = PAGES[name] ?? PAGES.overview;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('href') === `#/${name}`);
  const root = h('section', { 'data-page': name });
  document.getElementById('main').replaceChildren(root);
  current = { root, ...make(root, { refresh: () => refresh(), adminAction, toast }) };
  void refresh();
}

setUnauthorizedHandler(() => askCredentials());
window.addEventListener('hashchange', route);
document.addEventListener('visibilitychange', () => void refresh());
showWho();
route();
