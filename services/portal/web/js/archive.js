// 档案校验: the portal recomputes the archive's SHA-256 hash chain from the
// first record to the head (archive.proto's formula) and compares it with
// the head hash the archive states; and the latest records.
import { $, TYPE_ZH, el, fail, get, int, start, time } from "./common.js";

async function verify() {
  $("#result").replaceChildren(el("p", { class: "muted" }, "正在逐条校验…"));
  const v = await get("/api/v1/archive/verify");
  $("#result").replaceChildren(el("div", { class: `notice ${v.ok ? "ok" : "err"}`, id: "verify-result", "data-ok": String(v.ok) },
    v.ok ? `校验通过: 共 ${int(v.checked)} 条记录, 哈希链完整${v.complete ? "" : " (本次校验到此为止, 档案更长)"}。`
      : `校验失败: 第 ${int(v.bad_seq)} 条 — ${v.problem}`),
    el("table", {}, el("tbody", {},
      el("tr", {}, el("th", {}, "档案最新序号"), el("td", {}, int(v.head_seq))),
      el("tr", {}, el("th", {}, "档案声明的头部哈希"), el("td", { class: "mono", id: "head-hash" }, v.head_hash)),
      el("tr", {}, el("th", {}, "重新计算的哈希"), el("td", { class: "mono", id: "computed-hash" }, v.computed_hash)))));
}

async function main() {
  await start("档案校验");
  $("#main").replaceChildren(
    el("section", { class: "card" }, el("h2", {}, "档案哈希链校验"),
      el("p", { class: "muted" }, "每条记录的哈希 H(n) = SHA-256(H(n-1) ‖ 序号 ‖ 数据流 ‖ 来源 ‖ 来源序号 ‖ 原始记录); 任何一条被改动, 其后的哈希都对不上。"),
      el("button", { type: "button", class: "primary", id: "verify", onclick: () => verify().catch((e) => fail($("#result"), e)) }, "重新校验"),
      el("div", { id: "result" })),
    el("section", { class: "card" }, el("h2", {}, "最新档案记录"), el("div", { id: "latest" })));
  await verify();
  const page = await get("/api/v1/archive?order=newest&limit=20");
  $("#latest").replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, ["序号", "时间", "类型", "集聚区", "哈希"].map((h) => el("th", {}, h)))),
    el("tbody", {}, page.records.map((r) => el("tr", {}, el("td", { class: "num" }, r.archive_seq), el("td", {}, time(r.event?.time)),
      el("td", {}, TYPE_ZH[r.event?.type] || r.event?.type), el("td", {}, r.event?.subject || ""), el("td", { class: "mono" }, r.hash.slice(0, 16) + "…"))))));
}

main().catch((e) => fail($("#main"), e));
