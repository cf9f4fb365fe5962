// 集聚区: one cluster — its registration, its reports over time (charts),
// its awards, warnings and the events that concern it.
import { $, CATEGORY_ZH, TYPE_ZH, el, fail, get, int, money, periodZh, start, time, wan } from "./common.js";

async function archive(q) {
  try { return await get(`/api/v1/archive?${q}`); } catch (e) { if (e.status === 403) return null; throw e; }
}

function reportsChart(reports) {
  const periods = [...new Set(reports.map((r) => r.period))].sort();
  const last = periods.map((p) => reports.filter((r) => r.period === p).sort((a, b) => b.revision - a.revision)[0]);
  const chart = echarts.init($("#reports-chart"));
  chart.setOption({
    animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 70, right: 70, top: 40, bottom: 30 },
    xAxis: { type: "category", data: periods.map(periodZh) },
    yAxis: [{ type: "value", name: "万元" }, { type: "value", name: "户 / 人" }],
    series: [
      { name: "营业收入 (万元)", type: "bar", data: last.map((r) => Number(r.revenue_fen || 0) / 1e6) },
      { name: "税收 (万元)", type: "bar", data: last.map((r) => Number(r.tax_fen || 0) / 1e6) },
      { name: "入驻企业 (户)", type: "line", yAxisIndex: 1, data: last.map((r) => r.enterprises || 0) },
      { name: "吸纳就业 (人)", type: "line", yAxisIndex: 1, data: last.map((r) => r.employment || 0) },
    ],
  });
  return last;
}

async function main() {
  await start("集聚区");
  const id = new URLSearchParams(location.search).get("id") || "";
  const { clusters } = await get("/api/v1/clusters");
  const c = clusters.find((x) => x.id === id);
  if (!c) { $("#main").replaceChildren(el("p", {}, `没有编号为 ${id} 的集聚区`)); return; }
  $("#main").replaceChildren(
    el("section", { class: "card" }, el("h2", { id: "cluster-name" }, `${c.name} (${c.id})`),
      el("table", {}, el("tbody", {},
        [["类别", CATEGORY_ZH[c.category] || c.category], ["县(市)区", c.county], ["级别", c.level === "PROVINCIAL" ? "省级" : "市级"],
         ["主导产业", (c.leading_industries || []).join("、")], ["管理机构", c.management_org],
         ["状态", c.status === "ELIMINATED" ? "已淘汰" : "在册"], ["登记时间", time(Number(c.registered_at_ms))]]
          .map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v || "")))))),
    el("section", { class: "card" }, el("h2", {}, "历年报表"), el("div", { class: "chart small", id: "reports-chart" }),
      el("div", { id: "reports" })),
    el("section", { class: "card" }, el("h2", {}, "奖励与预警"), el("div", { id: "decisions" })),
    el("section", { class: "card" }, el("h2", {}, "相关事件"), el("div", { id: "events" })));

  const acc = await archive(`cluster_id=${encodeURIComponent(id)}&type=jiju.v1.ReportAccepted&stream=events&limit=1000`);
  if (!acc) {
    $("#reports").replaceChildren(el("p", { class: "muted" }, "只能查看本单位集聚区的报表档案"));
  } else {
    const reports = acc.records.map((r) => r.event.data.report);
    const last = reportsChart(reports);
    $("#reports").replaceChildren(el("table", { id: "reports-table" },
      el("thead", {}, el("tr", {}, ["期次", "版本", "入驻企业", "营业收入", "税收", "吸纳就业"].map((h) => el("th", { class: "num" }, h)))),
      el("tbody", {}, last.map((r) => el("tr", {}, el("td", { class: "num" }, periodZh(r.period)), el("td", { class: "num" }, r.revision),
        el("td", { class: "num" }, `${int(r.enterprises)} 户`), el("td", { class: "num" }, wan(r.revenue_fen)),
        el("td", { class: "num" }, wan(r.tax_fen)), el("td", { class: "num" }, `${int(r.employment)} 人`))))));
  }
  const q = `cluster_id=${encodeURIComponent(id)}`;
  const [aw, wn, el2] = await Promise.all([get(`/api/v1/awards?${q}`), get(`/api/v1/warnings?${q}`), get(`/api/v1/eliminations?${q}`)]);
  const rows = [
    ...aw.awards.map((a) => [a.time, a.kind === "NEW_PROVINCIAL" ? "新认定省级集聚区奖励" : `评估考核排名第 ${a.rank} 名奖励`, periodZh(a.period), money(a.amount_fen)]),
    ...wn.warnings.map((w) => [w.time, `淘汰预警 (连续 ${w.consecutive} 期)`, periodZh(w.period), (w.reasons || []).join("; ")]),
    ...el2.eliminations.map((x) => [x.time, "淘汰", periodZh(x.period), (x.reasons || []).join("; ")]),
  ].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  $("#decisions").replaceChildren(rows.length ? el("table", {}, el("tbody", {}, rows.map((r) =>
    el("tr", {}, el("td", {}, time(r[0])), el("td", {}, r[1]), el("td", {}, r[2]), el("td", {}, r[3]))))) : el("p", { class: "muted" }, "暂无"));
  const evs = await archive(`${q}&stream=events&order=newest&limit=50`);
  $("#events").replaceChildren(!evs ? el("p", { class: "muted" }, "只能查看本单位集聚区的事件") :
    el("ul", { class: "events" }, evs.records.map((r) => el("li", {}, `${time(r.event.time)} · ${TYPE_ZH[r.event.type] || r.event.type} · ${periodZh(r.event.jijuperiod || r.event.data?.period || r.event.data?.report?.period || "")}`))));
}

main().catch((e) => fail($("#main"), e));
