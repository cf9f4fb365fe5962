// 首页: this year's progress towards the city's targets (seed 一.二), the
// latest ranking's leaders and the registered clusters.
import { $, CATEGORY_ZH, el, fail, get, int, latestYear, money, pct, periodZh, score, start, yi }
  from "./common.js";

function kpi(id, label, value, target, pctMicros, unit) {
  const p = Number(pctMicros || 0);
  return el("div", { class: "kpi", id },
    el("div", { class: "label" }, label),
    el("div", { class: "value" }, value),
    el("div", { class: "bar" }, el("span", { class: p >= 1e6 ? "done" : "", style: `width:${Math.min(100, p / 1e4)}%` })),
    el("div", { class: "muted" }, `目标 ${target}${unit || ""} · 完成 `, el("b", { class: "pct" }, pct(p))));
}

async function show(year) {
  const t = await get(`/api/v1/targets/${year}`);
  const box = $("#targets");
  box.replaceChildren(
    el("div", { class: "grid" },
      kpi("kpi-clusters", "集聚区总数", `${int(t.active_clusters)} 个`, int(t.target_clusters), t.clusters_pct_micros, " 个"),
      kpi("kpi-revenue", "营业收入", yi(t.revenue_fen), yi(t.target_revenue_fen), t.revenue_pct_micros),
      kpi("kpi-enterprises", "入驻企业", `${int(t.enterprises)} 户`, int(t.target_enterprises), t.enterprises_pct_micros, " 户"),
      kpi("kpi-employment", "吸纳就业", `${int(t.employment)} 人`, int(t.target_employment), t.employment_pct_micros, " 人")),
    el("p", { class: "muted" }, `统计口径: ${periodZh(t.period || String(year))}已受理的报表; 目标见实施方案 一.(二)`),
    el("div", { class: "chart small", id: "targets-chart" }));
  const chart = echarts.init($("#targets-chart"));
  const names = ["集聚区总数", "营业收入", "入驻企业", "吸纳就业"];
  const vals = [t.clusters_pct_micros, t.revenue_pct_micros, t.enterprises_pct_micros, t.employment_pct_micros]
    .map((v) => Math.round(Number(v || 0) / 100) / 100);
  chart.setOption({
    animation: false, grid: { left: 90, right: 40, top: 20, bottom: 30 },
    xAxis: { type: "value", axisLabel: { formatter: "{value}%" }, max: (v) => Math.max(110, Math.ceil(v.max / 10) * 10) },
    yAxis: { type: "category", data: names, inverse: true },
    series: [{ type: "bar", data: vals, label: { show: true, position: "right", formatter: "{c}%" },
               markLine: { symbol: "none", data: [{ xAxis: 100 }], label: { formatter: "目标 100%", position: "insideEndTop" } } }],
  });
}

async function main() {
  await start("首页");
  const year = await latestYear();
  const years = [year - 1, year, year + 1].filter((y) => y >= 2022);
  const sel = el("select", { id: "year", onchange: () => show(sel.value).catch((e) => fail($("#targets"), e)) },
    years.map((y) => el("option", { value: y, selected: y === year }, `${y} 年`)));
  $("#main").replaceChildren(
    el("section", { class: "card" }, el("h2", {}, "年度目标完成情况"), el("div", { class: "toolbar" }, "年度 ", sel),
       el("div", { id: "targets" })),
    el("section", { class: "card" }, el("h2", {}, "最新排名"), el("div", { id: "top" })),
    el("section", { class: "card" }, el("h2", {}, "集聚区名录"), el("div", { id: "clusters" })));
  await show(year);
  const { clusters } = await get("/api/v1/clusters");
  $("#clusters").replaceChildren(el("table", { id: "cluster-table" },
    el("thead", {}, el("tr", {}, ["编号", "名称", "类别", "县(市)区", "级别", "主导产业", "状态"].map((h) => el("th", {}, h)))),
    el("tbody", {}, clusters.map((c) => el("tr", {},
      el("td", {}, c.id), el("td", {}, el("a", { href: `/cluster.html?id=${encodeURIComponent(c.id)}` }, c.name)),
      el("td", {}, CATEGORY_ZH[c.category] || c.category), el("td", {}, c.county || ""),
      el("td", {}, c.level === "PROVINCIAL" ? "省级" : "市级"), el("td", {}, (c.leading_industries || []).join("、")),
      el("td", {}, c.status === "ELIMINATED" ? "已淘汰" : "在册"))))));
  const r = await get(`/api/v1/rankings/${year}`);
  $("#top").replaceChildren(
    el("p", {}, `${periodZh(r.period)} `, el("span", { class: `badge ${r.status}` }, r.final ? "正式排名" : "临时排名"),
      " ", el("a", { href: `/ranking.html?period=${r.period}` }, "查看完整排名")),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", { class: "num" }, "名次"), el("th", {}, "集聚区"),
      el("th", { class: "num" }, "综合得分"), el("th", { class: "num" }, "营业收入"))),
      el("tbody", {}, r.entries.filter((e) => e.rank).slice(0, 5).map((e) => el("tr", {}, el("td", { class: "num" }, e.rank),
        el("td", {}, e.cluster_name), el("td", { class: "num" }, score(e.score_micros)),
        el("td", { class: "num" }, money(((e.contributions || []).find((c) => c.indicator === "revenue") || {}).raw)))))));
}

main().catch((e) => fail($("#main"), e));
