// 事件: a department's own deliveries, live (Server-Sent Events; the
// browser resumes with Last-Event-ID by itself after a break).
import { $, TYPE_ZH, el, fail, periodZh, start, time } from "./common.js";

function summary(e) {
  const d = e.data || {};
  if (e.type === "jiju.v1.AwardGranted") return `${d.cluster_id} 获得奖励 ${(Number(d.amount_fen || 0) / 1e6).toFixed(2)} 万元`;
  if (e.type === "jiju.v1.ReportOverdue") return `${d.cluster_id} ${periodZh(d.period)} 未按期报送`;
  if (e.type === "jiju.v1.EliminationWarning") return `${d.cluster_id} 淘汰预警: ${(d.reasons || []).join("; ")}`;
  if (d.period) return periodZh(d.period);
  return e.subject || "";
}

async function main() {
  const s = await start("事件");
  const tbody = el("tbody", { id: "events-body" });
  $("#main").replaceChildren(el("section", { class: "card" }, el("h2", {}, `${s.subscriber} 收到的事件`),
    el("p", { class: "muted", id: "feed-state" }, "正在连接…"),
    el("table", { id: "events-table" }, el("thead", {}, el("tr", {}, ["序号", "时间", "类型", "集聚区", "内容"].map((h) => el("th", {}, h)))), tbody)));
  const src = new EventSource("/api/v1/events/stream?after=0");
  src.onopen = () => { $("#feed-state").textContent = "已连接, 新事件会自动出现"; };
  src.onerror = () => { $("#feed-state").textContent = "连接中断, 正在重新连接…"; };
  const add = (msg) => {
    const e = JSON.parse(msg.data);
    tbody.prepend(el("tr", { "data-type": e.type, "data-seq": msg.lastEventId }, el("td", { class: "num" }, msg.lastEventId),
      el("td", {}, time(e.time)), el("td", {}, TYPE_ZH[e.type] || e.type), el("td", {}, e.subject || ""), el("td", {}, summary(e))));
  };
  src.onmessage = add;
  for (const t of Object.keys(TYPE_ZH)) src.addEventListener(t, add);
}

main().catch((e) => fail($("#main"), e));
