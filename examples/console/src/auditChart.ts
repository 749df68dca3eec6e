// The audit page's timeline and a token's sparkline: Chart.js, registered piece by piece (a bar chart needs the
// bar controller and element, two scales, the tooltip and the legend, the sparkline the
// line controller and its elements; the rest of the
// library stays out of the chunk). This module is a chunk of its own that the audit page
// imports when it draws, so no other page, nor the console's first load, carries it.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { AuditSummary } from './api';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);

/** A bar's label: the hour (or the day) it counts, in UTC like the rest of the console. */
export function bucketLabel(start: string, bucket: AuditSummary['bucket']): string {
  return bucket === 'hour' ? `${start.slice(5, 10)} ${start.slice(11, 13)}:00` : start.slice(0, 10);
}

/**
 * Draws the summary's bars, stacked allowed / denied / failed, with a denied bar's
 * reasons on hover. Returns the chart (destroy it before drawing on the canvas again).
 */
export function drawTimeline(canvas: HTMLCanvasElement, s: AuditSummary): Chart<'bar'> {
  const labels = s.series.map((p) => bucketLabel(p.start, s.bucket));
  const set = (label: string, data: number[], color: string) => ({ label, data, backgroundColor: color, stack: 'calls' });
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        set('Allowed', s.series.map((p) => p.allowed), '#2f7d4f'),
        set('Denied', s.series.map((p) => p.denied), '#b3261e'),
        set('Failed', s.series.map((p) => p.failed), '#b26a00'),
      ],
    },
    options: {
      // Drawn at once: the page's first chart is what the audit page is timed by.
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: {
            afterBody: (items) => {
              const point = s.series[items[0]?.dataIndex ?? -1];
              const reasons = Object.entries(point?.denied_by_reason ?? {});
              return reasons.length ? ['Denied by reason:', ...reasons.map(([code, n]) => `  ${code}: ${n}`)] : [];
            },
          },
        },
      },
    },
  });
}

/** A token's calls per day as a small line without axes (its numbers are in the text beside it). */
export function drawSparkline(canvas: HTMLCanvasElement, labels: string[], calls: number[]): Chart<'line'> {
  const chart = new Chart(canvas, {
    type: 'line',
    data: { labels, datasets: [{ label: 'Calls', data: calls, borderColor: '#1f5fa8', borderWidth: 2, pointRadius: 0, tension: 0.2 }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { display: false }, y: { display: false, beginAtZero: true } },
      plugins: { legend: { display: false }, tooltip: { intersect: false, mode: 'index' } },
    },
  });
  canvas.dataset.calls = String(calls.reduce((a, b) => a + b, 0));
  return chart;
}
