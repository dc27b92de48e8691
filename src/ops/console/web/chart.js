// A small line chart on <canvas>: series of per-second rates over time, a y axis with a round
// maximum, time labels at both ends. Redrawn from scratch on every refresh.

export const SERIES = [
  { key: 'inPerSec', label: 'messages in/s', color: '#3157d5', cls: 'series-in' },
  { key: 'outPerSec', label: 'messages out/s', color: '#1d7f46', cls: 'series-out' },
  { key: 'checksPerSec', label: 'checks/s', color: '#b76e00', cls: 'series-checks' },
];

function roundUp(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

export function drawRates(canvas, rates) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const hgt = canvas.clientHeight;
  canvas.width = w * dpr;
  canvas.height = hgt * dpr;
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, w, hgt);
  const left = 48;
  const bottom = hgt - 22;
  const top = 8;
  const right = w - 8;
  const max = roundUp(Math.max(0, ...rates.flatMap((r) => SERIES.map((s) => r[s.key]))));
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#667085';
  ctx.strokeStyle = '#dfe3ea';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = bottom - ((bottom - top) * i) / 4;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    const v = (max * i) / 4;
    ctx.fillText(v >= 10 ? String(Math.round(v)) : String(Number(v.toFixed(2))), 6, y + 4);
  }
  if (rates.length === 0) {
    ctx.fillText('collecting samples…', left + 8, top + 20);
    return;
  }
  const t0 = rates[0].atMs;
  const t1 = rates[rates.length - 1].atMs;
  const x = (t) => (t1 === t0 ? right : left + ((right - left) * (t - t0)) / (t1 - t0));
  const y = (v) => bottom - ((bottom - top) * v) / max;
  for (const s of SERIES) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    rates.forEach((r, i) => (i === 0 ? ctx.moveTo(x(r.atMs), y(r[s.key])) : ctx.lineTo(x(r.atMs), y(r[s.key]))));
    ctx.stroke();
  }
  ctx.fillStyle = '#667085';
  const label = (t) => new Date(t).toISOString().slice(11, 19);
  ctx.fillText(label(t0), left, hgt - 6);
  const last = label(t1);
  ctx.fillText(last, right - ctx.measureText(last).width, hgt - 6);
}
