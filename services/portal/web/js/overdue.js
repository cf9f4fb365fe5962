// 未报送: clusters that had no accepted report at a period's deadline
// (ReportOverdue, seed 五.三), by period.
import { $, el, fail, get, periodZh, periodsNewest, start, time } from "./common.js";

async function show(period) {
  const [{ overdue }, { clusters }] = await Promise.all([
    get(`/api/v1/overdue${period ? `?period=${encodeURIComponent(period)}` : ""}`), get("/api/v1/clusters")]);
  const name = Object.fromEntries(clusters.map((c) => [c.id, c]));
  $("#list").replaceChildren(overdue.length ? el("table", { id: "overdue-table" },
    el("thead", {}, el("tr", {}, ["期次", "集聚区", "县(市)区", "报送截止", "记录时间"].map((h) => el("th", {}, h)))),
    el("tbody", {}, overdue.map((o) => el("tr", { "data-cluster": o.cluster_id }, el("td", {}, periodZh(o.period)),
      el("td", {}, el("a", { href: `/cluster.html?id=${encodeURIComponent(o.cluster_id)}` }, name[o.cluster_id]?.name || o.cluster_id)),
      el("td", {}, name[o.cluster_id]?.county || ""), el("td", {}, time(Number(o.deadline_ms))), el("td", {}, time(o.time))))))
    : el("p", { class: "muted" }, "该期次没有逾期未报送的集聚区"));
}

async function main() {
  await start("未报送");
  const periods = await periodsNewest();
  const sel = el("select", { id: "period", onchange: () => show(sel.value).catch((e) => fail($("#list"), e)) },
    el("option", { value: "" }, "全部期次"), periods.map((p) => el("option", { value: p.period }, periodZh(p.period))));
  $("#main").replaceChildren(el("section", { class: "card" }, el("h2", {}, "逾期未报送名单"),
    el("div", { class: "toolbar" }, "期次 ", sel), el("div", { id: "list" })));
  await show("");
}

main().catch((e) => fail($("#main"), e));
