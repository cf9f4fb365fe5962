// 排名: the final or provisional ranking of a period, a chart of the scores
// made of each indicator's points (why this rank), a category filter, and
// one cluster's contributions in a table.
import { $, CATEGORY_ZH, INDICATOR_ZH, el, fail, get, int, pct, periodZh, periodsNewest, score, start, wan }
  from "./common.js";

const MONEY = new Set(["investment", "output_value", "revenue", "tax"]);
const RATIO = new Set(["contribution", "growth"]);

export function rawText(c) {
  if (c.imputed) return "未报 (按规则补值)";
  if (MONEY.has(c.indicator)) return wan(c.raw);
  if (RATIO.has(c.indicator)) return pct(c.raw);
  return `${int(c.raw)} ${c.indicator === "employment" ? "人" : c.indicator === "enterprises" ? "户" : ""}`;
}

function detail(e) {
  const box = $("#detail");
  box.replaceChildren(el("h3", {}, `${e.cluster_name} 的得分构成 (${score(e.score_micros)} 分)`),
    el("table", { id: "contrib-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "指标"), el("th", { class: "num" }, "原始值"),
        el("th", { class: "num" }, "标准化"), el("th", { class: "num" }, "得分"))),
      el("tbody", {}, (e.contributions || []).map((c) => el("tr", { "data-indicator": c.indicator },
        el("td", {}, INDICATOR_ZH[c.indicator] || c.indicator), el("td", { class: "num" }, rawText(c)),
        el("td", { class: "num" }, pct(c.normalised_micros)), el("td", { class: "num" }, score(c.points_micros)))))));
}

function draw(entries) {
  const chart = echarts.getInstanceByDom($("#chart")) || echarts.init($("#chart"));
  const indicators = entries[0] ? (entries[0].contributions || []).map((c) => c.indicator) : [];
  chart.setOption({
    animation: false, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0, data: indicators.map((i) => INDICATOR_ZH[i] || i) },
    grid: { left: 170, right: 30, top: 50, bottom: 30 },
    xAxis: { type: "value", name: "分" },
    yAxis: { type: "category", inverse: true, data: entries.map((e) => `${e.rank}. ${e.cluster_name}`) },
    series: indicators.map((ind) => ({
      name: INDICATOR_ZH[ind] || ind, type: "bar", stack: "score",
      data: entries.map((e) => Math.round(((e.contributions || []).find((c) => c.indicator === ind)?.points_micros || 0) / 1e4) / 100),
    })),
  }, true);
  $("#chart").style.height = `${Math.max(260, 60 + entries.length * 28)}px`;
  chart.resize();
}

async function show(period, category) {
  const r = await get(`/api/v1/rankings/${encodeURIComponent(period)}`);
  const all = r.entries.filter((e) => !category || e.category === category);
  const entries = all.filter((e) => e.rank);           // ranked, best first
  const unranked = all.filter((e) => !e.rank);         // 未报送 / 数据不足 (docs/assessment.md)
  $("#status").replaceChildren(el("span", { class: `badge ${r.status}`, id: "ranking-status" },
    r.final ? "正式排名 (期次已关闭)" : "临时排名 (报表陆续到达中)"), ` ${periodZh(r.period)} · 共 ${entries.length} 个集聚区`);
  draw(entries);
  $("#table").replaceChildren(el("table", { id: "ranking-table" },
    el("thead", {}, el("tr", {}, el("th", { class: "num" }, "名次"), el("th", { class: "num" }, "类内名次"),
      el("th", {}, "集聚区"), el("th", {}, "类别"), el("th", { class: "num" }, "综合得分"), el("th", { class: "num" }, "较上期"))),
    el("tbody", {}, entries.map((e) => el("tr", { class: "clickable", "data-cluster": e.cluster_id, onclick: (ev) => {
      document.querySelectorAll("#ranking-table tr.sel").forEach((t) => t.classList.remove("sel"));
      ev.currentTarget.classList.add("sel"); detail(e); } },
      el("td", { class: "num rank" }, e.rank), el("td", { class: "num" }, e.category_rank),
      el("td", {}, el("a", { href: `/cluster.html?id=${encodeURIComponent(e.cluster_id)}` }, e.cluster_name)),
      el("td", {}, CATEGORY_ZH[e.category] || e.category), el("td", { class: "num score" }, score(e.score_micros)),
      el("td", { class: `num ${e.rank_change > 0 ? "up" : e.rank_change < 0 ? "down" : ""}` },
        !e.has_previous ? "新" : e.rank_change > 0 ? `↑${e.rank_change}` : e.rank_change < 0 ? `↓${-e.rank_change}` : "—"))))));
  $("#unranked").replaceChildren(unranked.length ? el("div", {}, el("h3", {}, "未参与排名"),
    el("table", { id: "unranked-table" }, el("tbody", {}, unranked.map((e) => el("tr", { "data-cluster": e.cluster_id },
      el("td", {}, e.cluster_name), el("td", {}, CATEGORY_ZH[e.category] || e.category),
      el("td", {}, e.status === "RANK_STATUS_NOT_REPORTED" ? "未报送" : "数据不足"), el("td", { class: "muted" }, e.status_reason || "")))))) : "");
  if (entries[0]) detail(entries[0]);
  else $("#detail").replaceChildren();
}

async function main() {
  const session = await start("排名");
  const periods = await periodsNewest();
  const want = new URLSearchParams(location.search).get("period") ||
    (periods.find((p) => p.status === "closed") || periods[0] || { period: String(new Date().getFullYear()) }).period;
  const psel = el("select", { id: "period" }, periods.map((p) => el("option", { value: p.period, selected: p.period === want },
    `${periodZh(p.period)}${p.status === "closed" ? "" : " (进行中)"}`)));
  const csel = el("select", { id: "category" }, el("option", { value: "" }, "全部类别"),
    Object.entries(CATEGORY_ZH).map(([k, v]) => el("option", { value: k }, v)));
  // the period's reports for a spreadsheet: Excel (reports and the ranking, typed cells) or CSV
  const xlsx = session.role === "admin" ? el("a", { id: "export-xlsx", class: "noprint", download: "" }, "导出本期报表 (Excel)") : "";
  const exp = session.role === "admin" ? el("a", { id: "export", class: "noprint", download: "" }, "导出 CSV") : "";
  const link = () => {
    if (!exp) return;
    const q = `/api/v1/export?period=${encodeURIComponent(psel.value)}`;
    xlsx.href = `${q}&format=xlsx`;
    exp.href = q;
  };
  const again = () => { link(); return show(psel.value, csel.value).catch((e) => fail($("#table"), e)); };
  psel.addEventListener("change", again);
  csel.addEventListener("change", again);
  $("#main").replaceChildren(el("section", { class: "card" }, el("h2", {}, "评估考核排名"),
    el("div", { class: "toolbar" }, "期次 ", psel, "类别 ", csel, el("span", { id: "status" }), xlsx, exp),
    el("div", { class: "chart", id: "chart" }), el("div", { id: "table" }), el("div", { id: "unranked" }), el("div", { id: "detail" })));
  link();
  await show(want, "");
}

main().catch((e) => fail($("#main"), e));
