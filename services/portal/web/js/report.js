// 填报: a cluster management organisation submits or corrects its report.
// Amounts are typed in 万元 and sent as X_wan (converted exactly to fen by
// the portal); ingest's answer comes back whole, and each problem is shown
// beside the field it names.
import { $, api, el, fail, get, periodZh, start } from "./common.js";

const FIELDS = [
  ["enterprises", "入驻企业", "户", false], ["investment", "投入 (固定资产投资)", "万元", true],
  ["output_value", "产值", "万元", true], ["revenue", "营业收入", "万元", true], ["tax", "税收", "万元", true],
  ["employment", "吸纳就业", "人", false], ["key_projects", "重点项目", "个", false],
  ["public_service_platforms", "公共服务平台", "个", false], ["attracted_investment", "招商引资", "万元", true],
];

/** "report.tax_fen" -> "tax": the input a problem belongs to. */
function fieldOf(path) {
  return String(path || "").replace(/^report\./, "").replace(/_(fen|wan)$/, "");
}

function row(name, label, input, unit) {
  return el("div", { class: "field", "data-field": name }, el("label", { for: `f-${name}` }, label),
    el("span", {}, input, unit ? ` ${unit}` : ""), el("div", { class: "problem", id: `p-${name}`, "aria-live": "polite" }));
}

function clear() {
  document.querySelectorAll(".problem").forEach((p) => { p.replaceChildren(); p.className = "problem"; });
  document.querySelectorAll("input.bad, select.bad").forEach((i) => i.classList.remove("bad"));
  $("#answer").replaceChildren();
}

function showProblems(problems) {
  const general = [];
  for (const p of problems) {
    const box = $(`#p-${fieldOf(p.field)}`);
    const line = el("div", { "data-code": p.code }, `${p.message_zh} (${p.code})`);
    if (!box) { general.push(line); continue; }
    box.append(line);
    if (p.severity === "WARNING") box.classList.add("warning");
    $(`#f-${fieldOf(p.field)}`)?.classList.add("bad");
  }
  return general;
}

async function submit(ev) {
  ev.preventDefault();
  clear();
  const v = (id) => $(`#f-${id}`).value.trim();
  const body = { cluster_id: v("cluster_id"), period: v("period"), revision: Number(v("revision") || 0) };
  body.report_id = v("report_id") || `${body.cluster_id}-${body.period}-r${body.revision}`;
  if (v("note")) body.note = v("note");
  for (const [name, , , isMoney] of FIELDS) {
    const x = v(name);
    if (x === "") continue;
    if (isMoney) body[`${name}_wan`] = x.replace(/[,，\s]/g, "");
    else body[name] = /^-?\d+$/.test(x.replace(/[,，\s]/g, "")) ? Number(x.replace(/[,，\s]/g, "")) : x;
  }
  const r = await api("/api/v1/reports", { method: "POST", body });
  const d = r.data || {};
  if (r.status === 201 || r.status === 200) {
    showProblems(d.problems || []); // warnings travel with an accepted report
    $("#answer").replaceChildren(el("div", { class: "notice ok", role: "status", id: "accepted" },
      `${d.status === "DUPLICATE" ? "此报表已受理过" : "报表已受理"} (${d.instance} #${d.seq})。`,
      el("a", { href: `/ranking.html?period=${encodeURIComponent(body.period)}` }, `查看 ${periodZh(body.period)} 排名`)));
    return;
  }
  const general = showProblems(d.problems || []);
  $("#answer").replaceChildren(el("div", { class: "notice err", role: "alert", id: "rejected" },
    `报表未受理: ${(d.problems || []).length} 个问题, 请按字段旁的提示修改后重新提交。`, general));
}

async function main() {
  const s = await start("填报");
  let clusters = (await get("/api/v1/clusters")).clusters.filter((c) => c.status !== "ELIMINATED");
  if (s.role === "reporter") clusters = clusters.filter((c) => s.clusters.includes(c.id));
  const { periods } = await get("/api/v1/periods");
  const open = periods.filter((p) => p.status !== "closed").map((p) => p.period);
  const form = el("form", { class: "report", id: "report-form", onsubmit: (ev) => submit(ev).catch((e) => fail($("#answer"), e)) },
    row("cluster_id", "集聚区", el("select", { id: "f-cluster_id" }, clusters.map((c) => el("option", { value: c.id }, `${c.name} (${c.id})`)))),
    row("period", "期次", el("input", { id: "f-period", value: open[open.length - 1] || "", placeholder: "2024, 2024Q1 或 2024-01", list: "open-periods" })),
    el("datalist", { id: "open-periods" }, open.map((p) => el("option", { value: p }, periodZh(p)))),
    row("revision", "版本", el("input", { id: "f-revision", type: "number", min: 1, value: 1 }), "(更正时加 1)"),
    row("report_id", "报表编号", el("input", { id: "f-report_id", placeholder: "留空自动生成" })),
    FIELDS.map(([name, label, unit]) => row(name, label, el("input", { id: `f-${name}`, inputmode: "decimal" }), unit)),
    row("note", "备注", el("input", { id: "f-note", maxlength: 512 })),
    el("button", { type: "submit", class: "primary", id: "submit" }, "提交"));
  $("#main").replaceChildren(el("section", { class: "card" }, el("h2", {}, "统计报表填报"),
    el("p", { class: "muted" }, "金额以万元填写, 可带两位以上小数; 提交后由系统逐项校验, 所有问题一次列出。"),
    el("div", { id: "answer" }), form));
}

main().catch((e) => fail($("#main"), e));
