// The audit page with 100,000 events in its range (not part of the tests; run by
// scripts/bench-console-audit.sh): the time to first chart on a fresh load of
// /audit?range=all, with 2,000 events and then with 100,000, in one sandbox, and whether
// the table still pages. Timings are noisy: compare the two rows of one run.
//   node bench/audit-100k.mjs [EVENTS]
import { launchBrowser, signedIn, startSandbox } from '../testing/harness.mjs';

const total = Number(process.argv[2] ?? 100_000);
const sbx = await startSandbox();
const browser = await launchBrowser();

/** `n` calls with the owner token, four at a time (each lands in the audit log). */
async function seed(n) {
  let left = n;
  const worker = async () => {
    while (left > 0) {
      left -= 1;
      const r = await fetch(`${sbx.url}/v1/iam/whoami`, { headers: { Authorization: `Bearer ${sbx.ownerToken}` } });
      await r.arrayBuffer();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

async function firstChart(page, runs = 5) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    await page.goto(`${sbx.url}/audit?range=all`);
    await page.locator('figcaption.summary-text').waitFor();
    times.push(
      await page.evaluate(() => ({
        // From the navigation's start (the console loading, its wasm, the sign-in from
        // session storage) and from the page opening (the two API calls, the chart's chunk).
        fromNavigation: performance.getEntriesByName('audit:first-chart').at(-1).startTime,
        fromOpen: performance.getEntriesByName('audit:time-to-first-chart').at(-1).duration,
      })),
    );
  }
  const median = (k) => times.map((t) => t[k]).sort((a, b) => a - b)[Math.floor(times.length / 2)];
  return { fromNavigation: Math.round(median('fromNavigation')), fromOpen: Math.round(median('fromOpen')) };
}

try {
  const { page } = await signedIn(browser, sbx, sbx.ownerToken);
  await seed(2_000);
  const small = await firstChart(page);
  const t0 = performance.now();
  await seed(total - 2_000);
  const seeded = (performance.now() - t0) / 1000;
  const large = await firstChart(page);
  const caption = await page.locator('figcaption.summary-text').innerText();
  await page.getByRole('button', { name: 'Older →' }).click();
  await page.getByText('Events 51–100, newest first.').waitFor();
  console.log(
    JSON.stringify(
      {
        seeded_events: total,
        seed_seconds: Math.round(seeded),
        caption,
        time_to_first_chart_ms: { events_2000: small, [`events_${total}`]: large },
        ratio_from_open: +(large.fromOpen / small.fromOpen).toFixed(2),
        table_pages: true,
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  await sbx.stop();
}
