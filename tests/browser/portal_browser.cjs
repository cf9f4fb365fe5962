// The portal in a real browser: Debian's chromium, headless, driven by
// playwright-core against a real stack that test_portal_browser.py started.
// Everything it needs comes in the environment (JIJU_BROWSER_CASE, JSON).
// Exits 1 on the first failed expectation; screenshots go to case.shots.
const path = require("path");
const fs = require("fs");
const C = JSON.parse(process.env.JIJU_BROWSER_CASE);
const { chromium } = require(path.join(C.node_modules, "playwright-core"));

let failures = 0;
function check(cond, what, got) {
  console.log(`${cond ? "ok  " : "FAIL"} ${what}${cond ? "" : `: ${JSON.stringify(got)}`}`);
  if (!cond) failures++;
}

// One persistent context on a fresh profile directory; each role starts with
// its cookies cleared, as a new person at the same browser.
async function newPage(ctx) {
  await ctx.clearCookies();
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.log(`console: ${m.text()}`); });
  page.on("pageerror", (e) => check(false, `no script error on ${page.url()}`, String(e)));
  page.on("requestfailed", (r) => {
    if (!r.url().includes("/api/v1/events/stream")) check(false, `request ${r.url()} succeeds`, r.failure());
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(C.url) && !r.url().startsWith("data:")) check(false, "every asset from the portal itself", r.url());
  });
  return page;
}

async function login(page, user, password) {
  await page.goto(`${C.url}/`);
  check(page.url().endsWith("/login"), `${user}: an unsigned browser lands on /login`, page.url());
  await page.fill("#user", user);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(`${C.url}/`), page.click("button[type=submit]")]);
}

// Poll a condition from node (waitForFunction would need 'unsafe-eval', which
// the portal's Content-Security-Policy rightly refuses).
async function until(cond, ms = 15000) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const text = (page, sel) => page.locator(sel).first().innerText();
const shot = (page, name) => page.screenshot({ path: path.join(C.shots, `${name}.png`), fullPage: true });

async function admin(browser) {
  const page = await newPage(browser);
  await login(page, C.admin.name, C.admin.password);
  await page.waitForSelector("#kpi-revenue .pct");
  const rev = await text(page, "#kpi-revenue");
  check(rev.includes(C.targets.revenue) && rev.includes(C.targets.revenue_target) && rev.includes(C.targets.revenue_pct),
    "首页: 2023 revenue, its 一.二 target (55.00 亿元) and the percentage", [rev, C.targets]);
  const ent = await text(page, "#kpi-enterprises");
  check(ent.includes(C.targets.enterprises) && ent.includes(C.targets.enterprises_target), "首页: enterprises and target", ent);
  const emp = await text(page, "#kpi-employment");
  check(emp.includes(C.targets.employment) && emp.includes("20,000"), "首页: employment and the 2万人 target", emp);
  await page.waitForSelector("#cluster-table tbody tr");
  const rows = await page.locator("#cluster-table tbody tr").count();
  check(rows === C.clusters.length, `首页: the seed's ${C.clusters.length} clusters listed`, rows);
  const names = await text(page, "#cluster-table");
  check(C.clusters.every((n) => names.includes(n)), "首页: every seed cluster by name");
  check(await page.locator("#targets-chart canvas").count() > 0, "首页: the target chart is drawn (ECharts)");
  await shot(page, "home");

  await page.goto(`${C.url}/ranking.html?period=2023`);
  await page.waitForSelector("#ranking-table tbody tr");
  check((await text(page, "#ranking-status")).includes("正式排名"), "排名: 2023 is final");
  const first = page.locator("#ranking-table tbody tr").first();
  check((await first.locator("td").nth(2).innerText()) === C.ranking[0].name &&
        (await first.locator(".score").innerText()) === C.ranking[0].score,
    "排名: first place and score as assessment ranks them", [await first.innerText(), C.ranking[0]]);
  const ranks = await page.locator("#ranking-table .rank").allInnerTexts();
  check(ranks.join(",") === C.ranking.map((r) => String(r.rank)).join(","), "排名: every rank in order", ranks);
  check(await page.locator("#chart canvas").count() > 0, "排名: the score chart is drawn");
  await page.locator(`#ranking-table tr[data-cluster="${C.ranking[1].id}"]`).click();
  const contrib = await text(page, "#contrib-table");
  check(contrib.includes("营业收入") && contrib.includes(C.ranking[1].revenue), "排名: a cluster's per-indicator contributions", contrib);
  await shot(page, "ranking");
  const csv = await page.evaluate(async (href) => { const r = await fetch(href); return { status: r.status, text: await r.text() }; },
    await page.getAttribute("#export", "href"));
  check(csv.status === 200 && csv.text.includes("集聚区编号") && csv.text.includes(C.ranking[0].id), "排名: the CSV export link", csv.status);
  // the Excel link: the browser downloads the workbook the button names (read back cell by cell in test_portal_api.py)
  const xhref = await page.getAttribute("#export-xlsx", "href");
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#export-xlsx")]);
  const xbytes = fs.readFileSync(await dl.path());
  check(xhref.endsWith("format=xlsx") && (await page.innerText("#export-xlsx")).includes("Excel") &&
        dl.suggestedFilename() === "jiju-2023.xlsx" && xbytes.subarray(0, 4).toString("latin1") === "PK\x03\x04",
    "排名: the Excel button downloads jiju-2023.xlsx (a workbook)", [xhref, dl.suggestedFilename(), xbytes.length]);
  await page.selectOption("#category", "LOGISTICS");
  await until(async () => (await page.locator("#ranking-table tbody tr").allInnerTexts()).every((t) => t.includes("现代物流园")));
  check(await page.locator("#ranking-table tbody tr").count() === C.logistics, "排名: the category filter keeps 现代物流园 only");

  for (const [name, sel] of [["overdue", "#list"], ["awards", "#awards-table"], ["admin", "#periods-table"]]) {
    await page.goto(`${C.url}/${name}.html`);
    await page.waitForSelector(sel);
    await shot(page, name);
  }
  check((await text(page, "#periods-table")).includes("2023年度"), "管理: the periods are listed");
  await page.goto(`${C.url}/awards.html`);
  await page.waitForSelector("#awards-table");
  check((await text(page, "#awards-total")) === C.awards_total, "奖励: the total in 万元", await text(page, "#awards-total"));
  await page.goto(`${C.url}/archive.html`);
  await page.waitForSelector("#verify-result");
  check((await page.getAttribute("#verify-result", "data-ok")) === "true" &&
        (await text(page, "#head-hash")) === (await text(page, "#computed-hash")), "档案校验: the chain verifies to the head hash");
  await shot(page, "archive");
  await page.goto(`${C.url}/cluster.html?id=JL-WL-001`);
  await page.waitForSelector("#reports-table tbody tr");
  check((await text(page, "#reports-table")).includes("2023年度"), "集聚区: its reports over time");
  await shot(page, "cluster");
  await page.emulateMedia({ media: "print" });
  await page.pdf({ path: path.join(C.shots, "cluster-print.pdf") }).catch(() => {});
  await page.close();
}

async function reporter(browser) {
  const page = await newPage(browser);
  await login(page, C.reporter.name, C.reporter.password);
  await page.goto(`${C.url}/ranking.html?period=2024`);
  await page.waitForSelector("#unranked-table");
  check(await page.locator('#unranked-table tr[data-cluster="JL-WL-001"]').count() === 1,
    "排名 2024: JL-WL-001 has not reported yet (未参与排名)");
  await page.goto(`${C.url}/report.html`);
  await page.waitForSelector("#f-cluster_id");
  check(await page.locator("#f-cluster_id option").count() === 1, "填报: a reporter chooses only its own cluster");
  const fill = async (f) => { for (const [k, v] of Object.entries(f)) await page.fill(`#f-${k}`, v); };
  await fill({ period: "2024", revision: "1", report_id: "browser-JL-WL-001-2024", ...C.report, tax: "99999" });
  await page.click("#submit");
  await page.waitForSelector("#rejected");
  const p = await text(page, "#p-tax");
  check(p.includes("E_TAX_ABOVE_REVENUE"), "填报: ingest's problem shown beside the tax field", p);
  check(await page.locator("#f-tax.bad").count() === 1, "填报: the tax field is marked");
  check((await text(page, "#p-revenue")) === "", "填报: nothing beside the fields that were right");
  await shot(page, "report-problem");
  await page.fill("#f-tax", C.report_tax);
  await page.click("#submit");
  await page.waitForSelector("#accepted");
  check((await text(page, "#p-tax")) === "", "填报: the corrected report is accepted, the problem gone");
  await shot(page, "report-accepted");
  let rank = "";
  for (let i = 0; i < 60 && !rank; i++) {
    await page.goto(`${C.url}/ranking.html?period=2024`);
    await page.waitForSelector("#ranking-table");
    const row = page.locator('#ranking-table tr[data-cluster="JL-WL-001"] .rank');
    if (await row.count()) rank = await row.innerText();
    else await page.waitForTimeout(250);
  }
  check(rank === "1", "排名 2024: after the report JL-WL-001 ranks first", rank);
  await shot(page, "ranking-2024");
  const forged = await page.evaluate(async () => {
    const s = await (await fetch("/api/v1/session")).json();
    const r = await fetch("/api/v1/reports", { method: "POST", headers: { "Content-Type": "application/json",
      "X-CSRF-Token": s.csrf_token }, body: JSON.stringify({ cluster_id: "JL-WL-002", period: "2024", revision: 1,
      report_id: "forged-1", enterprises: 50, revenue_wan: "1000", tax_wan: "10", employment: 500 }) });
    return { status: r.status, body: await r.json() };
  });
  check(forged.status === 403 && forged.body.problems[0].code === "E_FORBIDDEN_CLUSTER",
    "a reporter cannot submit for another cluster, even by hand", forged);
  const noCsrf = await page.evaluate(async () => (await fetch("/api/v1/reports", { method: "POST",
    headers: { "Content-Type": "application/json" }, body: "{}" })).status);
  check(noCsrf === 403, "a POST from the page without the CSRF token is refused", noCsrf);
  await page.close();
}

async function department(browser) {
  const page = await newPage(browser);
  await login(page, C.department.name, C.department.password);
  await page.goto(`${C.url}/events.html`);
  await until(async () => (await page.locator("#events-body tr").count()) >= C.department.events);
  await page.waitForTimeout(500); // nothing more should come
  const types = await page.locator("#events-body tr").evaluateAll((rows) => rows.map((r) => r.dataset.type));
  check(types.length === C.department.events && types.every((t) => t === "jiju.v1.AwardGranted"),
    `事件: ${C.department.name} reads its own ${C.department.events} events, awards only`, types);
  await shot(page, "events");
  check(await page.locator("nav a[href='/report.html']").count() === 0, "事件: a department has no 填报 page");
  const r = await page.evaluate(async () => (await fetch("/api/v1/archive")).status);
  check(r === 403, "a department may not read the archive", r);
  await page.close();
}

async function link(browser) {
  const page = await newPage(browser);
  await page.goto(`${C.url}${C.signin_link}`);
  await page.waitForSelector("#kpi-revenue .pct");
  check(page.url() === `${C.url}/` && (await text(page, "header .who")).includes(C.admin.name),
    "a one-time sign-in link opens the 首页 signed in as the admin");
  await page.close();
}

(async () => {
  fs.mkdirSync(C.shots, { recursive: true });
  // playwright gives the profile as --user-data-dir itself (a fresh directory).
  const browser = await chromium.launchPersistentContext(C.profile, {
    executablePath: "/usr/bin/chromium", headless: true, locale: "zh-CN",
    viewport: { width: 1280, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    await admin(browser);
    await reporter(browser);
    await department(browser);
    await link(browser);
  } catch (e) {
    check(false, "the browser run", String(e.stack || e));
    for (const pg of browser.pages()) await pg.screenshot({ path: path.join(C.shots, "failure.png"), fullPage: true }).catch(() => {});
  } finally {
    await browser.close();
  }
  console.log(failures ? `${failures} failed` : "all browser checks passed");
  process.exit(failures ? 1 : 0);
})();
