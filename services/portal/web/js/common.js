// Shared by every page: the session, calls to the portal's JSON API (with the
// session's CSRF token on every POST), the navigation, and number and time
// formats for Chinese readers (万元/亿元, %, thousands, Asia/Shanghai).

export const CATEGORY_ZH = {
  LOGISTICS: "现代物流园", BUSINESS_SERVICES: "商务综合服务区", CULTURAL_CREATIVE: "文化创意园",
  TECH_STARTUP: "科技创业园", ECOMMERCE: "电子商务产业园", SERVICE_OUTSOURCING: "服务外包基地",
  PRODUCT_MARKET: "产品交易市场", LEISURE_TOURISM: "休闲旅游服务集聚区",
  PRODUCTIVE_SERVICES: "综合性生产服务集聚区",
};
export const INDICATOR_ZH = {
  enterprises: "入驻企业", investment: "投入", output_value: "产值", revenue: "营业收入", tax: "税收",
  employment: "吸纳就业", contribution: "贡献度", growth: "增长",
};
export const TYPE_ZH = {
  "jiju.v1.AwardGranted": "奖励", "jiju.v1.EliminationWarning": "淘汰预警",
  "jiju.v1.ClusterEliminated": "淘汰", "jiju.v1.NominationRecommended": "推荐申报省级",
  "jiju.v1.ReportOverdue": "未按期报送", "jiju.v1.ReportAccepted": "报表已受理",
  "jiju.v1.ReportRejected": "报表被退回", "jiju.v1.RankingPublished": "排名发布",
  "jiju.v1.RankingUpdated": "排名更新", "jiju.v1.TargetProgress": "目标进度",
  "jiju.v1.PeriodOpened": "期次开启", "jiju.v1.PeriodClosed": "期次关闭",
  "jiju.v1.ClusterRegistered": "集聚区登记", "jiju.v1.ClusterUpdated": "集聚区变更",
  "jiju.v1.ClusterRecognised": "认定省级", "jiju.v1.IndicatorSystemChanged": "指标体系变更",
  "jiju.v1.EventsDropped": "事件丢弃", "jiju.v1.Command": "管理命令",
};

let session = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session?.csrf_token) headers["X-CSRF-Token"] = session.csrf_token;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                credentials: "same-origin" });
  if (r.status === 401) { location.href = "/login"; throw new ApiError(401, null); }
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  if (!r.ok && !(data && (data.problems || data.status))) throw new ApiError(r.status, data);
  return { status: r.status, data };
}

export async function get(path) { return (await api(path)).data; }

// ---- formats ----
const nf0 = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 0 });
const nf2 = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const int = (n) => nf0.format(Number(n || 0));
/** fen as 万元 with two decimals: 530426200 fen -> "53,042.62 万元" (numbers as text, exact). */
export function wan(fen) { return `${nf2.format(Number(fen || 0) / 1e6)} 万元`; }
export function yi(fen) { return `${nf2.format(Number(fen || 0) / 1e10)} 亿元`; }
/** fen as 亿元 from 1 亿 up, else 万元. */
export function money(fen) { return Math.abs(Number(fen || 0)) >= 1e10 ? yi(fen) : wan(fen); }
export function pct(micros) { return `${nf2.format(Number(micros || 0) / 1e4)}%`; }
export function score(micros) { return nf2.format(Number(micros || 0) / 1e6); }
const tf = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
/** An RFC 3339 time or ms since the epoch, in Beijing time. */
export function time(t) {
  if (t === undefined || t === null || t === "") return "";
  return tf.format(new Date(typeof t === "number" ? t : Date.parse(t))).replace(/\//g, "-") + " (北京时间)";
}
export function periodZh(p) {
  if (!p) return "";
  let m = /^(\d{4})Q([1-4])$/.exec(p); if (m) return `${m[1]}年第${m[2]}季度`;
  m = /^(\d{4})-(\d{2})$/.exec(p); if (m) return `${m[1]}年${Number(m[2])}月`;
  return /^\d{4}$/.test(p) ? `${p}年度` : p;
}
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
export const $ = (sel) => document.querySelector(sel);

// ---- page frame ----
const PAGES = [
  ["/", "首页", null], ["/ranking.html", "排名", null], ["/overdue.html", "未报送", null],
  ["/awards.html", "奖励与预警", null], ["/report.html", "填报", ["admin", "reporter"]],
  ["/events.html", "事件", ["subscriber"]], ["/archive.html", "档案校验", ["admin"]],
  ["/admin.html", "管理", ["admin"]],
];
const ROLE_ZH = { admin: "管理员", reporter: "报送单位", subscriber: "部门" };

export async function start(title) {
  session = await get("/api/v1/session");
  document.title = `${title} · 吉林市服务业集聚区运行监测平台`;
  const nav = el("nav", {}, PAGES.filter(([, , roles]) => !roles || roles.includes(session.role))
    .map(([href, name]) => el("a", { href, class: href === location.pathname ||
      (href === "/" && location.pathname === "/index.html") ? "here" : "" }, name)));
  const out = el("button", { type: "button", id: "logout", onclick: async () => {
    await api("/logout", { method: "POST" }); location.href = "/login"; } }, "退出");
  document.body.prepend(el("header", {}, el("h1", {}, "吉林市服务业集聚区运行监测平台"), nav,
    el("span", { class: "who" }, `${session.name} (${ROLE_ZH[session.role] || session.role}) `, out)));
  return session;
}

/** The latest year with a closed period (its figures are final), else the
 * latest year with any period, else this year. */
export async function latestYear() {
  const { periods } = await get("/api/v1/periods");
  const year = (list) => Math.max(...list.map((p) => Number(p.period.slice(0, 4))).filter(Boolean));
  const closed = periods.filter((p) => p.status === "closed");
  if (closed.length) return year(closed);
  return periods.length ? year(periods) : new Date().getFullYear();
}

/** Periods, newest first, closed ones preferred for a default. */
export async function periodsNewest() {
  const { periods } = await get("/api/v1/periods");
  return periods.slice().reverse();
}

export function fail(where, e) {
  where.replaceChildren(el("div", { class: "notice err", role: "alert" }, `出错了: ${e.message}`));
}
