// 奖励与预警: awards granted within the policy's caps (seed 五.二), warnings,
// eliminations and recommendations for provincial recognition (seed 四.十).
import { $, el, fail, get, money, periodZh, start, time } from "./common.js";

async function main() {
  await start("奖励与预警");
  const [{ awards }, { warnings }, { eliminations }, { nominations }, { clusters }] = await Promise.all([
    get("/api/v1/awards"), get("/api/v1/warnings"), get("/api/v1/eliminations"), get("/api/v1/nominations"),
    get("/api/v1/clusters")]);
  const name = (id) => clusters.find((c) => c.id === id)?.name || id;
  const total = awards.reduce((s, a) => s + Number(a.amount_fen || 0), 0);
  const table = (id, heads, rows) => rows.length ? el("table", { id }, el("thead", {}, el("tr", {}, heads.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((v, i) => el("td", { class: i === 3 && id === "awards-table" ? "num" : "" }, v))))))
    : el("p", { class: "muted" }, "暂无");
  $("#main").replaceChildren(
    el("section", { class: "card" }, el("h2", {}, "资金奖励"), el("p", {}, "合计 ", el("b", { id: "awards-total" }, money(total))),
      table("awards-table", ["期次", "集聚区", "奖项", "金额", "时间"], awards.map((a) => [periodZh(a.period) || "—", name(a.cluster_id),
        a.kind === "NEW_PROVINCIAL" ? "新认定省级服务业集聚区 (不超过100万元)" : `评估考核排名第 ${a.rank} 名 (不超过50万元)`,
        money(a.amount_fen), time(a.time)]))),
    el("section", { class: "card" }, el("h2", {}, "淘汰预警"), table("warnings-table", ["期次", "集聚区", "原因", "连续期数", "时间"],
      warnings.map((w) => [periodZh(w.period), name(w.cluster_id), (w.reasons || []).join("; "), w.consecutive, time(w.time)]))),
    el("section", { class: "card" }, el("h2", {}, "淘汰"), table("eliminations-table", ["期次", "集聚区", "原因", "时间"],
      eliminations.map((x) => [periodZh(x.period) || "决定", name(x.cluster_id), (x.reasons || []).join("; "), time(x.time)]))),
    el("section", { class: "card" }, el("h2", {}, "推荐申报省级集聚区"), table("nominations-table", ["期次", "集聚区", "连续达标期数", "时间"],
      nominations.map((x) => [periodZh(x.period), name(x.cluster_id), x.consecutive, time(x.time)]))));
}

main().catch((e) => fail($("#main"), e));
